using Coin.Abstractions.Data;
using TorchSharp;

namespace Coin.Abstractions.Components;

/// <summary>How one input was cut into tiles (LLaVA-NeXT's and LLaVA-OneVision's any-resolution images): the whole
/// input resized to one tile first, then a grid of <see cref="Rows"/> × <see cref="Columns"/> tiles of the input
/// resized and padded to the grid. What a <see cref="IPackingConnector"/> needs to pack the tiles' features into the
/// input's sequence, whose length therefore differs from input to input.</summary>
/// <param name="OriginalHeight">The input's height before any resizing, in pixels (transformers' <c>image_sizes</c>).</param>
/// <param name="OriginalWidth">The input's width before any resizing, in pixels.</param>
/// <param name="Rows">Tile rows of the grid.</param>
/// <param name="Columns">Tile columns of the grid.</param>
/// <param name="MaxTiles">OneVision's N of <c>anyres_max_N</c>: the packed grid is shrunk to about N tiles' worth of
/// features; null where it never is (LLaVA-NeXT's <c>anyres</c>).</param>
public sealed record TileLayout(int OriginalHeight, int OriginalWidth, int Rows, int Columns, int? MaxTiles = null)
{
    /// <summary>The tiles of the input: the whole one, then the grid's, row by row.</summary>
    public int Tiles => 1 + Rows * Columns;
}

/// <summary>One input prepared as tiles: [<see cref="TileLayout.Tiles"/>, ...] on the CPU, and how they were cut.</summary>
public sealed record TiledInput(torch.Tensor Tiles, TileLayout Layout);

/// <summary>An encoder whose inputs are cut into a number of tiles that depends on the input (any-resolution images).
/// The host prepares each input alone (<see cref="PrepareTiles"/>), encodes the tiles of a batch's inputs together
/// (<see cref="IEncoder.Encode"/> on them concatenated: [tiles, ...] to [tiles, <see cref="IEncoder.TokensPerInput"/>,
/// <see cref="IEncoder.OutputDim"/>]) and has the modality's connector, which must be a
/// <see cref="IPackingConnector"/>, pack each input's tiles into its sequence. <see cref="IEncoder.Prepare"/> is not
/// called on such an encoder. Contract 2.8.</summary>
public interface ITiledEncoder : IEncoder
{
    /// <summary>One input's tiles and layout. Throws <see cref="Plugins.CoinUserException"/> naming the file for an
    /// unreadable input. A function of its arguments, so that the host may cache it.</summary>
    /// <param name="input">The input.</param>
    /// <param name="inputsInSample">How many inputs of this modality its sample holds: LLaVA-OneVision cuts an image into
    /// tiles only when it is its sample's one image, and pads each of several to a square, whole.</param>
    TiledInput PrepareTiles(ModalityInput input, int inputsInSample);

    /// <summary>The layout that gives the most tokens of any input: what a memory plan counts for each input.</summary>
    TileLayout LargestLayout { get; }
}

/// <summary>A connector that projects one input's tiles and packs them into that input's sequence of embeddings
/// (transformers' <c>pack_image_features</c>: the whole input's features, then the grid's with the padding removed and
/// a learned newline after each row). Serves a <see cref="ITiledEncoder"/>. Contract 2.8.</summary>
public interface IPackingConnector : IConnector
{
    /// <summary>[<see cref="TileLayout.Tiles"/>, positions, encoderDim] to [tokens, hiddenSize], where tokens is
    /// <see cref="TokensFor"/> of the layout.</summary>
    torch.Tensor ProjectAndPack(torch.Tensor encodedTiles, TileLayout layout);

    /// <summary>The tokens <see cref="ProjectAndPack"/> gives an input of this layout, <paramref name="positionsPerTile"/>
    /// features a tile, without computing them: what the host leaves room for.</summary>
    int TokensFor(TileLayout layout, int positionsPerTile);
}
