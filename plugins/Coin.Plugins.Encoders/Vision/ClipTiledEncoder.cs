using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Plugins.Encoders.Images;
using static TorchSharp.torch;
using Size = Coin.Plugins.Encoders.Images.AnyResolution.Size;

namespace Coin.Plugins.Encoders.Vision;

/// <summary><c>clip-vit</c> under <c>mode: anyres</c>: LLaVA-NeXT's any-resolution images. Each image is cut into the
/// whole image at the tower's size and the tiles of its best grid pinpoint (<see cref="AnyResolution"/>), every tile
/// goes through the tower as an image of its own, and the connector packs them (contract 2.8).</summary>
internal sealed class ClipTiledEncoder : ITiledEncoder, IActivationMemory
{
    private readonly ClipVisionEncoder tower;
    private readonly IReadOnlyList<Size> pinpoints;

    /// <param name="source">The file the pinpoints came from, for the refusal of one the tiles do not divide.</param>
    public ClipTiledEncoder(ClipVisionEncoder tower, IReadOnlyList<Size> pinpoints, string source)
    {
        if (pinpoints.FirstOrDefault(p => p.Height % tower.TileSize != 0 || p.Width % tower.TileSize != 0) is { Height: > 0 } odd)
            throw new CoinUserException($"{source}: grid pinpoint {odd} is not a whole number of the tower's {tower.TileSize}-pixel tiles");
        (this.tower, this.pinpoints) = (tower, pinpoints);
    }

    public string Modality => tower.Modality;
    public nn.Module Module => tower.Module;
    public int OutputDim => tower.OutputDim;
    public int TokensPerInput => tower.TokensPerInput;

    /// <summary>The pinpoint whose unpadded grid, a newline after each row, is longest: an image of its own shape.</summary>
    public TileLayout LargestLayout => pinpoints
        .Select(p => new TileLayout(p.Height, p.Width, p.Height / tower.TileSize, p.Width / tower.TileSize))
        .MaxBy(l => (long)l.Rows * l.Columns * TokensPerInput + l.Rows)!;

    public TiledInput PrepareTiles(ModalityInput input)
    {
        var (pixels, original, best) = tower.PrepareAnyResolution(input, pinpoints);
        return new TiledInput(pixels, new TileLayout(original.Height, original.Width, best.Height / tower.TileSize, best.Width / tower.TileSize));
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

/// <summary>The grid pinpoints of a llava_next folder, for <c>mode: anyres</c>.</summary>
internal static class LlavaNextGrid
{
    /// <summary>The folder's <c>image_grid_pinpoints</c> when <paramref name="mode"/> is anyres, else null; a
    /// llava_next folder under another mode, or anyres on a folder without pinpoints, is refused.</summary>
    public static IReadOnlyList<Size>? Pinpoints(string config, string mode)
    {
        if (!File.Exists(config)) return mode == "anyres" ? throw new CoinOptionException("mode", $"anyres, but {config} is not found") : null;
        var root = System.Text.Json.Nodes.JsonNode.Parse(Coin.Nn.Files.InputFile.ReadJsonText(config, Coin.Nn.Files.InputFile.Limits.Config, "config file"));
        bool next = root?["model_type"] is System.Text.Json.Nodes.JsonValue type && type.TryGetValue(out string? name) && name == "llava_next";
        if (next && mode != "anyres")
            throw new CoinOptionException("mode", $"{mode}, but {config} is LLaVA-NeXT (llava_next), whose images are any-resolution tiles: set mode anyres");
        if (mode != "anyres") return null;
        if (root?["image_grid_pinpoints"] is not System.Text.Json.Nodes.JsonArray grid || grid.Count == 0)
            throw new CoinOptionException("mode", $"anyres, but {config} has no image_grid_pinpoints (a LLaVA-NeXT folder names its grid)");
        var pinpoints = new List<Size>();
        foreach (var point in grid)
        {
            if (point is not System.Text.Json.Nodes.JsonArray pair || pair.Count != 2 || pair.Any(v => v is not System.Text.Json.Nodes.JsonValue))
                throw new CoinUserException($"{config}: image_grid_pinpoints holds {point?.ToJsonString()}; expected [height, width] pairs");
            if (!pair[0]!.AsValue().TryGetValue(out int height) || !pair[1]!.AsValue().TryGetValue(out int width) || height <= 0 || width <= 0)
                throw new CoinUserException($"{config}: image_grid_pinpoints holds {point.ToJsonString()}; expected positive integer [height, width] pairs");
            pinpoints.Add(new Size(height, width));
        }
        return pinpoints;
    }
}
