namespace Coin.Plugins.Encoders.Images;

/// <summary>LLaVA-NeXT's any-resolution split of an image (<c>image_aspect_ratio: anyres</c>), as transformers'
/// LlavaNextImageProcessor does it: the grid pinpoint that keeps the most of the image, the image resized into it
/// keeping its aspect ratio and padded with zeros, cut into tower-sized tiles row by row, after the whole image resized
/// to one tile. Works on 8-bit RGB (height × width × 3 bytes) with Pillow's bicubic resize, as the processor does.</summary>
internal static class AnyResolution
{
    /// <summary>A size in pixels, height first, as transformers' pinpoints are written.</summary>
    public readonly record struct Size(int Height, int Width)
    {
        public override string ToString() => $"{Height}x{Width}";
    }

    /// <summary>transformers' <c>select_best_resolution</c>: per pinpoint, the image scaled to fit (each side truncated),
    /// its area up to the original's is what it keeps; the pinpoint that keeps most wins, a tie goes to the one that
    /// wastes least, and of equals the first listed.</summary>
    public static Size SelectBestResolution(Size original, IReadOnlyList<Size> pinpoints)
    {
        if (pinpoints.Count == 0) throw new ArgumentException("no grid pinpoints", nameof(pinpoints));
        Size best = default;
        long mostKept = 0, leastWasted = long.MaxValue;
        foreach (var pinpoint in pinpoints)
        {
            double scale = Math.Min((double)pinpoint.Width / original.Width, (double)pinpoint.Height / original.Height);
            long kept = Math.Min((long)(int)(original.Width * scale) * (int)(original.Height * scale), (long)original.Width * original.Height);
            long wasted = (long)pinpoint.Width * pinpoint.Height - kept;
            if (kept > mostKept || (kept == mostKept && wasted < leastWasted))
            {
                mostKept = kept;
                leastWasted = wasted;
                best = pinpoint;
            }
        }
        return best;
    }

    /// <summary>The tiles an image of <paramref name="original"/> size is cut into: its best pinpoint's grid of
    /// <paramref name="tileSize"/> tiles, with OneVision's N of <c>anyres_max_N</c> (null for LLaVA-NeXT).</summary>
    public static Coin.Abstractions.Components.TileLayout Layout(Size original, IReadOnlyList<Size> pinpoints, int tileSize, int? maxTiles = null)
    {
        var best = SelectBestResolution(original, pinpoints);
        return new(original.Height, original.Width, best.Height / tileSize, best.Width / tileSize, maxTiles);
    }

    /// <summary>transformers' <c>get_patch_output_size</c>: the side with the smaller scale fills the target, the other
    /// is scaled by it, rounded up, at most the target.</summary>
    public static Size PatchOutputSize(Size original, Size target)
    {
        double scaleWidth = (double)target.Width / original.Width, scaleHeight = (double)target.Height / original.Height;
        return scaleWidth < scaleHeight
            ? new Size(Math.Min((int)Math.Ceiling(original.Height * scaleWidth), target.Height), target.Width)
            : new Size(target.Height, Math.Min((int)Math.Ceiling(original.Width * scaleHeight), target.Width));
    }

    /// <summary>The tiles the processor makes of an image: first the whole image resized to
    /// <paramref name="tileSize"/>², then the best pinpoint's tiles row by row; each tileSize² × 3 bytes.</summary>
    public static (Size Best, IReadOnlyList<byte[]> Tiles) Split(byte[] rgb, int width, int height, IReadOnlyList<Size> pinpoints, int tileSize)
    {
        var original = new Size(height, width);
        var best = SelectBestResolution(original, pinpoints);
        if (best.Height % tileSize != 0 || best.Width % tileSize != 0)
            throw new ArgumentException($"grid pinpoint {best} is not a whole number of {tileSize}-pixel tiles", nameof(pinpoints));
        var inner = PatchOutputSize(original, best);
        var resized = PilResample.Resize(rgb, width, height, inner.Width, inner.Height);
        // Zeros around it, the odd pixel after (divmod(gap, 2)).
        int top = (best.Height - inner.Height) / 2, left = (best.Width - inner.Width) / 2;
        var padded = new byte[best.Height * best.Width * 3];
        for (int y = 0; y < inner.Height; y++)
            Array.Copy(resized, y * inner.Width * 3, padded, ((y + top) * best.Width + left) * 3, inner.Width * 3);
        var tiles = new List<byte[]> { PilResample.Resize(rgb, width, height, tileSize, tileSize) };
        for (int y0 = 0; y0 < best.Height; y0 += tileSize)
            for (int x0 = 0; x0 < best.Width; x0 += tileSize)
            {
                var tile = new byte[tileSize * tileSize * 3];
                for (int y = 0; y < tileSize; y++)
                    Array.Copy(padded, ((y0 + y) * best.Width + x0) * 3, tile, y * tileSize * 3, tileSize * 3);
                tiles.Add(tile);
            }
        return (best, tiles);
    }
}
