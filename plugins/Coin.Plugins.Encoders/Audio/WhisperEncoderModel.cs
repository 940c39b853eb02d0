using Coin.Nn.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Coin.Plugins.Encoders.Audio;

/// <summary>A Whisper encoder's shape; names follow Hugging Face's WhisperConfig.</summary>
internal sealed record WhisperEncoderConfig(int NumMelBins, int DModel, int EncoderLayers, int EncoderAttentionHeads, int EncoderFfnDim, int MaxSourcePositions)
{
    public static readonly string[] PresetNames = ["tiny", "whisper-base"];

    public static WhisperEncoderConfig Preset(string name, int maxSourcePositions) => name switch
    {
        "tiny" => new(80, 64, 2, 4, 128, maxSourcePositions),
        "whisper-base" => new(80, 512, 6, 8, 2048, 1500),
        _ => throw new ArgumentException($"unknown preset '{name}'"),
    };
}

/// <summary>Whisper's audio encoder with Hugging Face's names under <c>model.encoder.</c>: two convolutions
/// (the second with stride 2), sinusoidal positions, pre-norm transformer layers, a final layer norm.</summary>
internal sealed class WhisperEncoderModel : nn.Module
{
    private readonly WhisperModelShell model;

    public WhisperEncoderModel(WhisperEncoderConfig config) : base(nameof(WhisperEncoderModel))
    {
        Config = config;
        model = new WhisperModelShell(config);
        RegisterComponents();
    }

    public WhisperEncoderConfig Config { get; }

    /// <summary>[n, mels, frames] to [n, frames / 2, d].</summary>
    public Tensor Forward(Tensor mel) => model.Encoder.call(mel);
}

internal sealed class WhisperModelShell : nn.Module
{
    private readonly WhisperEncoder encoder;

    public WhisperModelShell(WhisperEncoderConfig config) : base(nameof(WhisperModelShell))
    {
        encoder = new WhisperEncoder(config);
        RegisterComponents();
    }

    public WhisperEncoder Encoder => encoder;
}

internal sealed class WhisperEncoder : nn.Module<Tensor, Tensor>
{
    private readonly Conv1d conv1, conv2;
    private readonly Embedding embed_positions;
    private readonly ModuleList<WhisperEncoderLayer> layers = new();
    private readonly LayerNorm layer_norm;

    public WhisperEncoder(WhisperEncoderConfig config) : base(nameof(WhisperEncoder))
    {
        conv1 = nn.Conv1d(config.NumMelBins, config.DModel, 3, padding: 1);
        conv2 = nn.Conv1d(config.DModel, config.DModel, 3, stride: 2, padding: 1);
        embed_positions = nn.Embedding(config.MaxSourcePositions, config.DModel);
        using (no_grad()) embed_positions.weight!.copy_(Sinusoids(config.MaxSourcePositions, config.DModel));
        for (int i = 0; i < config.EncoderLayers; i++) layers.Add(new WhisperEncoderLayer(config));
        layer_norm = nn.LayerNorm(config.DModel);
        RegisterComponents();
    }

    public override Tensor forward(Tensor mel)
    {
        var x = F.gelu(conv2.call(F.gelu(conv1.call(mel)))).transpose(1, 2);
        if (x.shape[1] > embed_positions.weight!.shape[0])
            throw new ArgumentException($"{x.shape[1]} audio positions exceed the encoder's {embed_positions.weight.shape[0]}");
        x = x + embed_positions.weight.narrow(0, 0, x.shape[1]);
        foreach (var layer in layers) x = layer.call(x);
        return layer_norm.call(x);
    }

    /// <summary>Whisper's fixed positions: sin over the first half of the channels, cos over the second.</summary>
    private static Tensor Sinusoids(int length, int channels)
    {
        int half = channels / 2;
        var increment = Math.Log(10000) / (half - 1);
        var inverse = exp(-increment * arange(half, dtype: ScalarType.Float32));
        var scaled = arange(length, dtype: ScalarType.Float32).unsqueeze(1) * inverse.unsqueeze(0);
        return cat([scaled.sin(), scaled.cos()], 1);
    }
}

internal sealed class WhisperEncoderLayer : nn.Module<Tensor, Tensor>
{
    private readonly BidirectionalAttention self_attn;
    private readonly LayerNorm self_attn_layer_norm, final_layer_norm;
    private readonly AutocastLinear fc1, fc2;

    public WhisperEncoderLayer(WhisperEncoderConfig config) : base(nameof(WhisperEncoderLayer))
    {
        // Whisper's key projection has no bias.
        self_attn = new BidirectionalAttention(config.DModel, config.EncoderAttentionHeads, keyBias: false);
        self_attn_layer_norm = nn.LayerNorm(config.DModel);
        fc1 = new AutocastLinear(config.DModel, config.EncoderFfnDim);
        fc2 = new AutocastLinear(config.EncoderFfnDim, config.DModel);
        final_layer_norm = nn.LayerNorm(config.DModel);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var h = x + self_attn.call(self_attn_layer_norm.call(x));
        return h + fc2.call(F.gelu(fc1.call(final_layer_norm.call(h))));
    }
}
