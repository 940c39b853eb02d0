using System.Text.Json.Nodes;
using Coin.Abstractions.Plugins;
using Coin.Nn.Pickle;
using Coin.Nn.Safetensors;

namespace Coin.Plugins.Connectors;

/// <summary>LLaVA's projector weights (<c>model.mm_projector.0</c> and <c>.2</c>) into <see cref="Mlp2xGeluConnector"/>,
/// from a model folder in the original LLaVA layout or from its first stage's mm_projector.bin. A folder's config is
/// checked first: another projector type, another feature width, or a LLaVA variant whose image handling is not
/// LLaVA-1.5's (anyres grids, patch merging, image start/end tokens) stops the load, named.</summary>
public static class LlavaProjector
{
    public static void LoadInto(Mlp2xGeluConnector connector, string path, int encoderWidth)
    {
        IWeightSource source;
        if (File.Exists(path)) source = PickleCheckpoint.OpenFile(path);
        else if (Directory.Exists(path))
        {
            CheckConfig(Path.Combine(path, "config.json"), encoderWidth);
            source = IWeightSource.OpenFolder(path);
        }
        else throw new CoinUserException($"model.connector.options.path: '{path}' is neither a LLaVA model folder nor an mm_projector.bin");
        using var weights = new RenamedWeights(source, "model.");
        if (!weights.Names.Any(n => n.StartsWith("mm_projector.", StringComparison.Ordinal)))
            throw new CoinUserException($"{source.Source}: no model.mm_projector.* tensors: not a LLaVA projector");
        ModuleWeights.Load(connector, weights, ignoreUnexpected: name => !name.StartsWith("mm_projector.", StringComparison.Ordinal));
    }

    private static void CheckConfig(string path, int encoderWidth)
    {
        if (!File.Exists(path)) throw new CoinUserException($"{path}: not found: a LLaVA model folder has its config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!;
        string? Text(string key) => config[key]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? config[key]!.GetValue<string>() : null;
        if (Text("mm_projector_type") is { } type && type != "mlp2x_gelu")
            throw new CoinUserException($"{path}: mm_projector_type is '{type}'; this connector is mlp2x_gelu (use the matching connector)");
        if (config["mm_hidden_size"]?.GetValue<int>() is { } width && width != encoderWidth)
            throw new CoinUserException($"{path}: mm_hidden_size is {width}, the encoder gives {encoderWidth}-wide features");
        if (Text("image_aspect_ratio") is { } ratio && ratio is not ("pad" or "square"))
            throw new CoinUserException($"{path}: image_aspect_ratio '{ratio}' (LLaVA-NeXT's grids) is not implemented; LLaVA-1.5 uses pad");
        if (Text("mm_patch_merge_type") is { } merge && merge != "flat")
            throw new CoinUserException($"{path}: mm_patch_merge_type '{merge}' is not implemented; LLaVA-1.5 uses flat");
        if (config["mm_use_im_start_end"]?.GetValue<bool>() == true)
            throw new CoinUserException($"{path}: mm_use_im_start_end is true: image start/end tokens are not implemented (LLaVA-1.5 has false)");
    }
}
