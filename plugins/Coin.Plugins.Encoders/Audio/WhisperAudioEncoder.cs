using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Nn.Safetensors;
using Coin.Nn.Audio;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Coin.Plugins.Encoders.Audio;

internal sealed class WhisperAudioOptions : IValidatableObject
{
    /// <summary>A Hugging Face Whisper folder (config.json + model.safetensors); decoder tensors are ignored.</summary>
    public string? Path { get; set; }

    /// <summary><c>tiny</c> (CPU) or <c>whisper-base</c>.</summary>
    public string Preset { get; set; } = "tiny";

    /// <summary>Audio is padded with silence or cut to this length. 30 s is Whisper's window, what its feature
    /// extractor pads to and what a pretrained encoder was trained on: a shorter window (e.g. 1 s for CPU-sized
    /// experiments) is a different computation at every position and has to be asked for.</summary>
    [Range(0.1, 60.0)] public double MaxSeconds { get; set; } = 30.0;

    /// <summary>Average-pools this many encoder outputs into one token, to keep sequences short for the LLM.</summary>
    [Range(1, 64)] public int PoolStride { get; set; } = 2;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Path is null && !WhisperEncoderConfig.PresetNames.Contains(Preset))
            yield return new ValidationResult($"unknown preset '{Preset}'; accepted: {string.Join(", ", WhisperEncoderConfig.PresetNames)}", [nameof(Preset)]);
    }
}

/// <summary>The <c>whisper</c> audio encoder: WAV (or in-memory samples) → 16 kHz → log-mel → Whisper encoder → pooled tokens.</summary>
internal sealed class WhisperAudioEncoder : IEncoder
{
    private readonly WhisperEncoderModel model;
    private readonly int samples;
    private readonly int poolStride;

    public WhisperAudioEncoder(WhisperEncoderModel model, WhisperAudioOptions options)
    {
        this.model = model;
        poolStride = options.PoolStride;
        samples = (int)Math.Round(options.MaxSeconds * LogMelSpectrogram.SampleRate);
        int positions = samples / LogMelSpectrogram.Hop / 2;
        if (positions > model.Config.MaxSourcePositions)
            throw new CoinOptionException("maxSeconds", $"{options.MaxSeconds} s needs {positions} positions, the encoder has {model.Config.MaxSourcePositions}");
        TokensPerInput = positions / poolStride;
    }

    public string Modality => "audio";
    public nn.Module Module => model;
    public int OutputDim => model.Config.DModel;
    public int TokensPerInput { get; }

    public Tensor Prepare(IReadOnlyList<ModalityInput> inputs)
    {
        using var scope = NewDisposeScope();
        var mels = inputs.Select(input =>
        {
            var (values, rate) = input.Values is { } v ? (v, input.SampleRate) : WavFile.Read(input.Path ?? throw new CoinUserException("audio input has neither a path nor values"));
            if (rate <= 0) throw new CoinUserException($"audio input '{input.Path ?? "(in memory)"}' has no sample rate");
            var audio = LogMelSpectrogram.Resample(tensor(values), rate);
            audio = audio.shape[0] >= samples ? audio.narrow(0, 0, samples) : F.pad(audio, [0, samples - audio.shape[0]]);
            return LogMelSpectrogram.Compute(audio, model.Config.NumMelBins);
        }).ToArray();
        return stack(mels).MoveToOuterDisposeScope();
    }

    public Tensor Encode(Tensor prepared)
    {
        var features = model.Forward(prepared);
        if (poolStride == 1) return features;
        var pooled = F.avg_pool1d(features.transpose(1, 2), poolStride, poolStride).transpose(1, 2);
        return pooled.narrow(1, 0, TokensPerInput);
    }

    public void Dispose() => model.Dispose();

    public static WhisperEncoderModel Load(string folder)
    {
        string configPath = System.IO.Path.Combine(folder, "config.json");
        if (!File.Exists(configPath)) throw new CoinUserException($"{configPath}: config.json not found");
        var root = JsonNode.Parse(Coin.Nn.Files.InputFile.ReadJsonText(configPath, Coin.Nn.Files.InputFile.Limits.Config, "config file"))!;
        int Int(string key) => root[key] is JsonValue value && value.TryGetValue(out int number) && number > 0 ? number
            : throw new CoinUserException($"{configPath}: '{key}' must be a positive integer, found {root[key]?.ToJsonString() ?? "nothing"}");
        var config = new WhisperEncoderConfig(Int("num_mel_bins"), Int("d_model"), Int("encoder_layers"),
            Int("encoder_attention_heads"), Int("encoder_ffn_dim"), Int("max_source_positions"));
        using var weights = IWeightSource.OpenFolder(folder);
        LayerCount.Require(weights, "model.encoder.layers.", config.EncoderLayers, configPath, "encoder_layers");
        return ModuleWeights.Fill(new WhisperEncoderModel(config), weights, ignoreUnexpected: name => !name.StartsWith("model.encoder.", StringComparison.Ordinal));
    }
}

[CoinPlugin(PluginKind.Encoder, "whisper", "0.2.0", "Whisper-style audio encoder (HF names): WAV, 16 kHz log-mel, conv + transformer, pooled")]
internal sealed class WhisperAudioEncoderPlugin : PluginFactory<IEncoder, WhisperAudioOptions>
{
    protected override IEncoder Create(WhisperAudioOptions options, ComponentContext context)
    {
        int positions = (int)Math.Round(options.MaxSeconds * LogMelSpectrogram.SampleRate) / LogMelSpectrogram.Hop / 2;
        var model = options.Path is { } path ? WhisperAudioEncoder.Load(context.ResolvePath(path)) : new WhisperEncoderModel(WhisperEncoderConfig.Preset(options.Preset, positions));
        return new WhisperAudioEncoder(model, options);
    }
}
