using Coin.Abstractions.Components;
using Coin.Nn.Layers;
using Coin.Nn.Vision;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Plugins.Connectors;

/// <summary>LLaVA-NeXT's projector for any-resolution images: <c>mlp2x_gelu</c> on every tile (names as
/// <see cref="Mlp2xGeluConnector"/>'s), then the tiles packed into the image's sequence with the learned
/// <c>image_newline</c> after each row of the unpadded grid (transformers' <c>pack_image_features</c>,
/// <see cref="TilePacking"/>). What <c>mlp2x-gelu</c> makes of a <c>llava_next</c> folder.</summary>
internal sealed class PackingMlp2xGeluConnector : nn.Module, IPackingConnector, IActivationMemory
{
    private readonly Sequential mm_projector;
    private readonly Parameter image_newline;
    private readonly int inputDim, outputDim, positionsPerInput;

    /// <param name="positionsPerInput">Feature positions the tiled encoder gives for its largest layout (every tile's):
    /// what the activation estimate multiplies; 0 when unknown.</param>
    public PackingMlp2xGeluConnector(int inputDim, int outputDim, int positionsPerInput = 0) : base(nameof(PackingMlp2xGeluConnector))
    {
        (this.inputDim, this.outputDim, this.positionsPerInput) = (inputDim, outputDim, positionsPerInput);
        mm_projector = nn.Sequential(new AutocastLinear(inputDim, outputDim), nn.GELU(), new AutocastLinear(outputDim, outputDim));
        // LlavaNextModel draws it as randn(hidden) / sqrt(hidden); a loaded folder replaces it.
        image_newline = new Parameter(randn(outputDim) * Math.Pow(outputDim, -0.5));
        RegisterComponents();
    }

    public nn.Module Module => this;

    /// <summary>Not called for tiles (the host calls <see cref="ProjectAndPack"/>); kept for the contract.</summary>
    public Tensor Project(Tensor features) => mm_projector.call(features);

    public Tensor ProjectAndPack(Tensor encodedTiles, TileLayout layout)
        => TilePacking.Pack(mm_projector.call(encodedTiles), layout, image_newline);

    public int TokensFor(TileLayout layout, int positionsPerTile) => TilePacking.TokenCount(layout, positionsPerTile, newline: true);

    /// <summary>As <see cref="Mlp2xGeluConnector"/>'s, over every tile of the largest layout (the packed sequence is a
    /// selection of the projector's output, plus the newlines).</summary>
    public long TrainingActivationBytes(int batch, int tokens, bool checkpointing)
        => parameters().Any(p => p.requires_grad) ? (long)batch * positionsPerInput * (inputDim + 3L * outputDim) * sizeof(float) : 0;

    public long GenerationBytes(int batch, int tokens) => (long)batch * positionsPerInput * (inputDim + 3L * outputDim) * sizeof(float);
}
