using System.Text.Json.Nodes;
using Coin.Abstractions.Plugins;
using Coin.Nn.Pickle;
using Coin.Nn.Safetensors;

namespace Coin.Plugins.Connectors;

/// <summary>LLaVA's projector weights (<c>model.mm_projector.0</c> and <c>.2</c>) into <see cref="Mlp2xGeluConnector"/>,
/// from a model folder in the original LLaVA layout or from its first stage's mm_projector.bin. A folder's config is
/// checked first: another projector type, another feature width, or a LLaVA variant whose image handling is not
/// LLaVA-1.5's (anyres grids, patch merging, image start/end tokens) stops the load, named.</summary>
internal static class LlavaProjector
{
    public static void LoadInto(TorchSharp.torch.nn.Module connector, string path, int encoderWidth)
    {
        IWeightSource source;
        if (File.Exists(path)) source = PickleCheckpoint.OpenFile(path);
        else if (Directory.Exists(path))
        {
            CheckConfig(Path.Combine(path, "config.json"), encoderWidth);
            source = IWeightSource.OpenFolder(path);
        }
        else throw new CoinOptionException("path", $"'{path}' is neither a LLaVA model folder nor an mm_projector.bin");
        using var weights = new RenamedWeights(source, ProjectorName, "the projector's tensors");
        if (!weights.Names.Any())
            throw new CoinUserException($"{source.Source}: no model.mm_projector.* or multi_modal_projector.* tensors: not a LLaVA projector");
        ModuleWeights.Load(connector, weights);
    }

    /// <summary>True for a llava-hf LLaVA-NeXT folder (model_type llava_next), whose projector packs any-resolution
    /// tiles with its image_newline; a file (mm_projector.bin) or another folder is LLaVA-1.5's.</summary>
    public static bool PacksTiles(string path)
    {
        string config = Path.Combine(path, "config.json");
        if (!Directory.Exists(path) || !File.Exists(config)) return false;
        var root = JsonNode.Parse(Coin.Nn.Files.InputFile.ReadJsonText(config, Coin.Nn.Files.InputFile.Limits.Config, "config file"));
        return root?["model_type"] is JsonValue type && type.TryGetValue(out string? name) && name is "llava_next" or "llava_onevision";
    }

    /// <summary>The connector's name for a LLaVA projector tensor: <c>model.mm_projector.N.*</c> (LLaVA's own layout),
    /// <c>[model.]multi_modal_projector.linear_1/2.*</c> (llava-hf, before and since transformers 4.52).</summary>
    private static string? ProjectorName(string name)
    {
        if (name.StartsWith("model.mm_projector.", StringComparison.Ordinal)) return name["model.".Length..];
        // LLaVA-NeXT's newline, at the top (llava-hf before transformers 4.52) or under model. (since).
        if (name is "image_newline" or "model.image_newline") return "image_newline";
        string rest = name.StartsWith("model.multi_modal_projector.", StringComparison.Ordinal) ? name["model.multi_modal_projector.".Length..]
            : name.StartsWith("multi_modal_projector.", StringComparison.Ordinal) ? name["multi_modal_projector.".Length..] : "";
        return rest.StartsWith("linear_1.", StringComparison.Ordinal) ? "mm_projector.0." + rest["linear_1.".Length..]
            : rest.StartsWith("linear_2.", StringComparison.Ordinal) ? "mm_projector.2." + rest["linear_2.".Length..] : null;
    }

    private static void CheckConfig(string path, int encoderWidth)
    {
        if (!File.Exists(path)) throw new CoinUserException($"{path}: not found: a LLaVA model folder has its config.json");
        var config = JsonNode.Parse(Coin.Nn.Files.InputFile.ReadJsonText(path, Coin.Nn.Files.InputFile.Limits.Config, "config file"))!;
        string? Text(string key) => config[key]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? config[key]!.GetValue<string>() : null;
        if (Text("mm_projector_type") is { } type && type != "mlp2x_gelu")
            throw new CoinUserException($"{path}: mm_projector_type is '{type}'; this connector is mlp2x_gelu (use the matching connector)");
        // llava-hf: one folder for everything; its projector is mlp2x_gelu with biases.
        if (Text("projector_hidden_act") is { } act && act != "gelu")
            throw new CoinUserException($"{path}: projector_hidden_act is '{act}'; this connector is Linear, GELU, Linear");
        if (config["multimodal_projector_bias"]?.GetValue<bool>() == false)
            throw new CoinUserException($"{path}: multimodal_projector_bias is false; this connector's linears have biases");
        // OneVision keeps every position of its SigLIP tower ("full", its default); the encoder checks its own selection.
        bool oneVision = Text("model_type") == "llava_onevision";
        string strategy = Text("vision_feature_select_strategy") ?? (oneVision ? "full" : "default");
        if (strategy != (oneVision ? "full" : "default"))
            throw new CoinUserException($"{path}: vision_feature_select_strategy '{strategy}' is not implemented for this model; LLaVA-1.5's and LLaVA-NeXT's is default (the class token left out), OneVision's full");
        if (config["vision_config"]?["hidden_size"]?.GetValue<int>() is { } towerWidth && towerWidth != encoderWidth)
            throw new CoinUserException($"{path}: vision_config.hidden_size is {towerWidth}, the encoder gives {encoderWidth}-wide features");
        if (config["mm_hidden_size"]?.GetValue<int>() is { } width && width != encoderWidth)
            throw new CoinUserException($"{path}: mm_hidden_size is {width}, the encoder gives {encoderWidth}-wide features");
        if (Text("image_aspect_ratio") is { } ratio && ratio is not ("pad" or "square"))
            throw new CoinUserException($"{path}: image_aspect_ratio '{ratio}' (LLaVA-NeXT's grids) in LLaVA's original layout is not implemented; LLaVA-NeXT loads from its llava-hf folder (model_type llava_next)");
        if (Text("mm_patch_merge_type") is { } merge && merge != "flat")
            throw new CoinUserException($"{path}: mm_patch_merge_type '{merge}' is not implemented; LLaVA-1.5 uses flat");
        if (config["mm_use_im_start_end"]?.GetValue<bool>() == true)
            throw new CoinUserException($"{path}: mm_use_im_start_end is true: image start/end tokens are not implemented (LLaVA-1.5 has false)");
    }
}
