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
internal sealed class PackingMlp2xGeluConnector : nn.Module, IPackingConnector
{
    private readonly Sequential mm_projector;
    private readonly Parameter image_newline;

    public PackingMlp2xGeluConnector(int inputDim, int outputDim) : base(nameof(PackingMlp2xGeluConnector))
    {
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
}
