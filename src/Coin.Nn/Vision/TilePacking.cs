using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;
using static TorchSharp.torch;

namespace Coin.Nn.Vision;

/// <summary>LLaVA-NeXT's and LLaVA-OneVision's packing of one image's projected tile features into the sequence the
/// language model reads (transformers' <c>pack_image_features</c>): the whole image's features first, then the tiles'
/// grid with the padding the processor added removed (<c>unpad_image</c>), for OneVision shrunk bilinearly when it
/// holds more than <c>anyres_max_N</c> tiles' worth, and <c>image_newline</c> after each row. For a
/// <see cref="IPackingConnector"/> (contract 2.8).</summary>
public static class TilePacking
{
    /// <param name="tileFeatures">[1 + rows · cols, side², channels]: the whole image's, then the tiles' row by row,
    /// after the projector.</param>
    /// <param name="layout">The image's size before the processor (transformers' <c>image_sizes</c>), its grid of tiles
    /// (from <c>select_best_resolution</c>) and OneVision's N of <c>anyres_max_N</c> (null for LLaVA-NeXT, which never
    /// shrinks).</param>
    /// <param name="newline">[channels], or null for none.</param>
    /// <returns>[tokens, channels]: side² for the whole image, then one per grid cell kept and one per row.</returns>
    public static Tensor Pack(Tensor tileFeatures, TileLayout layout, Tensor? newline)
    {
        using var scope = NewDisposeScope();
        long tiles = tileFeatures.shape[0], positions = tileFeatures.shape[1], channels = tileFeatures.shape[2];
        int side = (int)Math.Round(Math.Sqrt(positions));
        if ((long)side * side != positions)
            throw new CoinUserException($"any-resolution features: {positions} positions a tile is not a square grid");
        var whole = tileFeatures[0];
        if (tiles == 1)
            return (newline is null ? whole : cat([whole, newline.unsqueeze(0).to_type(whole.dtype)], 0)).MoveToOuterDisposeScope();

        int rows = layout.Rows, columns = layout.Columns;
        if ((long)rows * columns != tiles - 1)
            throw new CoinUserException($"any-resolution features: {tiles - 1} tiles for an image of {layout.OriginalHeight}x{layout.OriginalWidth} whose grid holds {rows} x {columns}");
        // [channels, rows · side, columns · side]: the tiles' features laid out as the padded image they came from.
        var grid = tileFeatures.narrow(0, 1, tiles - 1).view(rows, columns, side, side, channels)
            .permute(4, 0, 2, 1, 3).contiguous().flatten(1, 2).flatten(2, 3);
        grid = Unpad(grid, layout.OriginalHeight, layout.OriginalWidth);
        if (Shrunk(grid.shape[1], grid.shape[2], side, layout.MaxTiles) is { } size)
            grid = nn.functional.interpolate(grid.unsqueeze(0), [size.Height, size.Width], mode: InterpolationMode.Bilinear)[0];
        if (newline is not null)
            grid = cat([grid, newline.to_type(grid.dtype).view(channels, 1, 1).expand(channels, grid.shape[1], 1)], -1);
        return cat([whole, grid.flatten(1, 2).transpose(0, 1)], 0).MoveToOuterDisposeScope();
    }

    /// <summary>How many image tokens <see cref="Pack"/> gives an image of this layout, without the tower: what the
    /// collator must leave room for. <paramref name="positionsPerTile"/> is the tower's side² (its grid side being
    /// image size / patch size).</summary>
    public static int TokenCount(TileLayout layout, int positionsPerTile, bool newline)
    {
        int side = (int)Math.Round(Math.Sqrt(positionsPerTile));
        if (layout.Rows * layout.Columns == 0) return positionsPerTile + (newline ? 1 : 0);
        var (height, width) = KeptGrid(layout.OriginalHeight, layout.OriginalWidth, (long)layout.Rows * side, (long)layout.Columns * side);
        if (Shrunk(height, width, side, layout.MaxTiles) is { } size) (height, width) = size;
        return checked((int)(positionsPerTile + height * (width + (newline ? 1 : 0))));
    }

    /// <summary>OneVision's <c>anyres_max_N</c>: the size a kept grid is bilinearly shrunk to when it holds more than
    /// N tiles' worth of positions by a ratio above 1.1 (each side divided by the ratio, rounded down); null when it
    /// stays as it is (LLaVA-NeXT, <paramref name="maxTiles"/> null, never shrinks).</summary>
    private static (long Height, long Width)? Shrunk(long height, long width, int side, int? maxTiles)
    {
        if (maxTiles is not { } max) return null;
        double ratio = Math.Sqrt((double)height * width / (max * Math.Pow(side, 2)));
        return ratio > 1.1 ? ((long)Math.Floor(height / ratio), (long)Math.Floor(width / ratio)) : null;
    }

    /// <summary>The grid <c>unpad_image</c> keeps of a <paramref name="height"/> × <paramref name="width"/> one.</summary>
    private static (long Height, long Width) KeptGrid(int originalHeight, int originalWidth, long height, long width)
    {
        double originalAspect = (double)originalWidth / originalHeight, currentAspect = (double)width / height;
        if (originalAspect > currentAspect)
        {
            long kept = (long)Math.Round(originalHeight * ((double)width / originalWidth), 7, MidpointRounding.ToEven);
            return (height - (height - kept) / 2 * 2, width);
        }
        else
        {
            long kept = (long)Math.Round(originalWidth * ((double)height / originalHeight), 7, MidpointRounding.ToEven);
            return (height, width - (width - kept) / 2 * 2);
        }
    }

    /// <summary>transformers' <c>unpad_image</c> on a [channels, height, width] grid: the rows (or columns) that the
    /// processor's zero padding became are cut, as many from each side, the original size scaled to the grid and
    /// rounded to 7 decimals before truncation.</summary>
    public static Tensor Unpad(Tensor grid, int originalHeight, int originalWidth)
    {
        long height = grid.shape[1], width = grid.shape[2];
        var (keptHeight, keptWidth) = KeptGrid(originalHeight, originalWidth, height, width);
        return grid.narrow(1, (height - keptHeight) / 2, keptHeight).narrow(2, (width - keptWidth) / 2, keptWidth);
    }
}
