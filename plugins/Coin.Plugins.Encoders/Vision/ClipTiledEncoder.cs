using System.Text.Json.Nodes;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Plugins.Encoders.Images;
using static TorchSharp.torch;
using Size = Coin.Plugins.Encoders.Images.AnyResolution.Size;

namespace Coin.Plugins.Encoders.Vision;

/// <summary>A folder's any-resolution settings: its grid pinpoints; OneVision's N of <c>anyres_max_N</c> (null for
/// LLaVA-NeXT); and whether several images of one sample are each padded to a square whole (OneVision) rather than
/// tiled (LLaVA-NeXT).</summary>
internal sealed record AnyResolutionGrid(IReadOnlyList<Size> Pinpoints, int? MaxTiles, bool WholeWhenSeveral);

/// <summary><c>clip-vit</c> under <c>mode: anyres</c>: LLaVA-NeXT's and LLaVA-OneVision's any-resolution images. Each
/// image is cut into the whole image at the tower's size and the tiles of its best grid pinpoint
/// (<see cref="AnyResolution"/>), every tile goes through the tower as an image of its own, and the connector packs
/// them (contract 2.8). Under OneVision an image that shares its sample with others is padded to a square and kept
/// whole, one tile, as LlavaOnevisionImageProcessor does.</summary>
internal sealed class ClipTiledEncoder : ITiledEncoder, IActivationMemory
{
    private readonly ClipVisionEncoder tower;
    private readonly AnyResolutionGrid grid;

    /// <param name="source">The file the grid came from, for the refusal of a pinpoint the tiles do not divide.</param>
    public ClipTiledEncoder(ClipVisionEncoder tower, AnyResolutionGrid grid, string source)
    {
        if (grid.Pinpoints.FirstOrDefault(p => p.Height % tower.TileSize != 0 || p.Width % tower.TileSize != 0) is { Height: > 0 } odd)
            throw new CoinUserException($"{source}: grid pinpoint {odd} is not a whole number of the tower's {tower.TileSize}-pixel tiles");
        (this.tower, this.grid) = (tower, grid);
    }

    public string Modality => tower.Modality;
    public nn.Module Module => tower.Module;
    public int OutputDim => tower.OutputDim;
    public int TokensPerInput => tower.TokensPerInput;

    /// <summary>The pinpoint whose unpadded grid, a newline after each row, is longest: an image of its own shape (a
    /// grid that OneVision shrinks only gets shorter).</summary>
    public TileLayout LargestLayout => grid.Pinpoints
        .Select(p => new TileLayout(p.Height, p.Width, p.Height / tower.TileSize, p.Width / tower.TileSize, grid.MaxTiles))
        .MaxBy(l => (long)l.Rows * l.Columns * TokensPerInput + l.Rows)!;

    public TiledInput PrepareTiles(ModalityInput input, int inputsInSample)
    {
        if (grid.WholeWhenSeveral && inputsInSample > 1)
        {
            // The size is the model's image_sizes entry; a single tile is packed as the whole image and a newline.
            var (square, size) = tower.PrepareWholeSquare(input);
            return new TiledInput(square, new TileLayout(size.Height, size.Width, 0, 0, grid.MaxTiles));
        }
        var (pixels, original, best) = tower.PrepareAnyResolution(input, grid.Pinpoints);
        return new TiledInput(pixels, new TileLayout(original.Height, original.Width, best.Height / tower.TileSize, best.Width / tower.TileSize, grid.MaxTiles));
    }

    public Tensor Prepare(IReadOnlyList<ModalityInput> inputs)
        => throw new InvalidOperationException("a tiled encoder's inputs are prepared one at a time (PrepareTiles)");

    public Tensor Encode(Tensor prepared) => tower.Encode(prepared);

    /// <summary>The tower's, for every tile of the largest layout.</summary>
    public long TrainingActivationBytes(int batch, int tokens, bool checkpointing)
        => tower.TrainingActivationBytes(batch * LargestLayout.Tiles, tokens, checkpointing);

    public long GenerationBytes(int batch, int tokens) => 0;

    public void Dispose() => tower.Dispose();
}

/// <summary>The any-resolution settings of a llava_next or llava_onevision folder, for <c>mode: anyres</c>.</summary>
internal static class LlavaNextGrid
{
    /// <summary>The folder's grid when <paramref name="mode"/> is anyres, else null. A llava_next or llava_onevision
    /// folder under another mode, anyres on a folder without pinpoints, or a vision_aspect_ratio other than
    /// anyres_max_N, is refused.</summary>
    /// <param name="root">The folder's config.json, null when it has none.</param>
    public static AnyResolutionGrid? Read(JsonNode? root, string config, string mode)
    {
        if (root is null) return mode == "anyres" ? throw new CoinOptionException("mode", $"anyres, but {config} is not found") : null;
        string type = root?["model_type"] is JsonValue value && value.TryGetValue(out string? name) ? name : "";
        bool oneVision = type == "llava_onevision";
        if (type is "llava_next" or "llava_onevision" && mode != "anyres")
            throw new CoinOptionException("mode", $"{mode}, but {config} is {(oneVision ? "LLaVA-OneVision" : "LLaVA-NeXT")} ({type}), whose images are any-resolution tiles: set mode anyres");
        if (mode != "anyres") return null;
        if (root?["image_grid_pinpoints"] is not JsonArray points || points.Count == 0)
            throw new CoinOptionException("mode", $"anyres, but {config} has no image_grid_pinpoints (a LLaVA-NeXT or OneVision folder names its grid)");
        var pinpoints = new List<Size>();
        foreach (var point in points)
        {
            if (point is not JsonArray pair || pair.Count != 2 || pair.Any(v => v is not JsonValue)
                || !pair[0]!.AsValue().TryGetValue(out int height) || !pair[1]!.AsValue().TryGetValue(out int width) || height <= 0 || width <= 0)
                throw new CoinUserException($"{config}: image_grid_pinpoints holds {point?.ToJsonString()}; expected positive integer [height, width] pairs");
            pinpoints.Add(new Size(height, width));
        }
        return new AnyResolutionGrid(pinpoints, oneVision ? MaxTiles(config, root!["vision_aspect_ratio"]) : null, oneVision);
    }

    /// <summary>OneVision's vision_aspect_ratio, "anyres_max_N" (LlavaOnevisionConfig's default, anyres_max_9, when absent).</summary>
    private static int MaxTiles(string config, JsonNode? ratio)
    {
        string text = ratio is JsonValue value && value.TryGetValue(out string? s) ? s : ratio is null ? "anyres_max_9" : ratio.ToJsonString();
        if (!text.StartsWith("anyres_max_", StringComparison.Ordinal) || !int.TryParse(text["anyres_max_".Length..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) || n < 1)
            throw new CoinUserException($"{config}: vision_aspect_ratio '{text}' is not implemented; anyres_max_N (N ≥ 1) is");
        return n;
    }
}
