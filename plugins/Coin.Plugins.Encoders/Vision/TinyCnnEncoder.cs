using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Plugins.Encoders.Images;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Coin.Plugins.Encoders.Vision;

/// <summary>A stride-1 stem, three stride-2 convolutions and a residual context convolution: an image of side S becomes (S/8)^2 feature vectors with a learned
/// position embedding. Small enough to train on a CPU in seconds.</summary>
[CoinPlugin(PluginKind.Encoder, "tiny-cnn", "0.3.0", "Three-layer CNN image encoder for CPU-sized experiments")]
internal sealed class TinyCnnEncoder : nn.Module, IEncoder
{
    private readonly Conv2d stem, conv1, conv2, conv3, context;
    private readonly Parameter position;
    private readonly LayerNorm norm;
    private readonly ImagePreprocessor preprocessor;

    public TinyCnnEncoder(TinyCnnEncoderOptions options) : base(nameof(TinyCnnEncoder))
    {
        preprocessor = new ImagePreprocessor(new ImagePreprocessingOptions { ImageSize = options.ImageSize, Mode = options.Mode });
        int side = (int)Math.Ceiling(options.ImageSize / 8.0);
        TokensPerInput = side * side;
        OutputDim = options.Channels;
        stem = nn.Conv2d(3, options.Channels / 2, 3, stride: 1, padding: 1);
        conv1 = nn.Conv2d(options.Channels / 2, options.Channels / 2, 3, stride: 2, padding: 1);
        conv2 = nn.Conv2d(options.Channels / 2, options.Channels, 3, stride: 2, padding: 1);
        conv3 = nn.Conv2d(options.Channels, options.Channels, 3, stride: 2, padding: 1);
        context = nn.Conv2d(options.Channels, options.Channels, 3, stride: 1, padding: 1);
        // Of the order of the normalised features, so a token's place counts from the first step (grounding answers
        // are places); at 0.02 it starts as noise next to them.
        position = new Parameter(randn(1, TokensPerInput, options.Channels) * 0.5);
        norm = nn.LayerNorm(options.Channels);
        RegisterComponents();
    }

    public string Modality => "image";
    public nn.Module Module => this;
    public int OutputDim { get; }
    public int TokensPerInput { get; }

    public Tensor Prepare(IReadOnlyList<ModalityInput> inputs) => preprocessor.Prepare(inputs);

    public Tensor Encode(Tensor prepared)
    {
        var x = F.gelu(conv1.call(F.gelu(stem.call(prepared))));
        x = F.gelu(conv2.call(x));
        x = conv3.call(x);
        // Each token of the last grid sees 17 px; an object split over 2×2 tokens was then recognised by no single
        // one of them. The residual context layer widens that to 33 px while keeping the token's own features.
        x = x + context.call(F.gelu(x));
        var tokens = x.flatten(2).transpose(1, 2);
        return norm.call(tokens + position);
    }
}
