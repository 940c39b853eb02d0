using System.Text.Json.Nodes;
using Coin.Abstractions.Plugins;

namespace Coin.Plugins.Encoders.Vision;

/// <summary>A CLIP vision tower's shape; field names follow Hugging Face's <c>vision_config</c>.</summary>
/// <param name="HiddenAct">The MLP's activation, by transformers' name (CLIP's default: quick_gelu).</param>
/// <param name="Siglip">SigLIP's tower (LLaVA-OneVision, PaliGemma, Idefics): no class token, no pre-layernorm, a
/// bias on the patch convolution, one position per patch.</param>
internal sealed record ClipVisionConfig(int ImageSize, int PatchSize, int HiddenSize, int IntermediateSize, int NumHiddenLayers, int NumAttentionHeads, double LayerNormEps = 1e-5,
    string HiddenAct = "quick_gelu", bool Siglip = false)
{
    public int Patches => (ImageSize / PatchSize) * (ImageSize / PatchSize);

    public static ClipVisionConfig Preset(string name) => name switch
    {
        "tiny" => new(32, 8, 64, 128, 2, 4),
        "clip-vit-b-16" => new(224, 16, 768, 3072, 12, 12),
        "clip-vit-l-14-336" => new(336, 14, 1024, 4096, 24, 16),
        _ => throw new ArgumentException($"unknown preset '{name}'"),
    };

    public static readonly string[] PresetNames = ["tiny", "clip-vit-b-16", "clip-vit-l-14-336"];

    /// <summary>Reads config.json of a CLIPVisionModel, or the <c>vision_config</c> of a full CLIPModel.</summary>
    public static ClipVisionConfig Read(string path)
    {
        if (!File.Exists(path)) throw new CoinUserException($"{path}: config.json not found");
        JsonNode root;
        try
        {
            root = JsonNode.Parse(Coin.Nn.Files.InputFile.ReadJsonText(path, Coin.Nn.Files.InputFile.Limits.Config, "config file"))!;
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new CoinUserException($"{path}: malformed JSON ({e.Message})");
        }
        var vision = root["vision_config"] ?? root;
        int Int(string key) => vision[key]?.GetValue<int>() ?? throw new CoinUserException($"{path}: missing integer '{key}' in the vision config");
        // A llava folder's vision_config without model_type is CLIP's, OneVision's SigLIP's (their config classes' defaults).
        string rootType = root["model_type"]?.GetValue<string>() ?? "clip_vision_model";
        string type = vision["model_type"]?.GetValue<string>() ?? (rootType == "llava_onevision" ? "siglip_vision_model" : rootType);
        bool siglip = type is "siglip_vision_model" or "siglip";
        if (!siglip && type is not ("clip_vision_model" or "clip" or "llava" or "llava_next"))
            throw new CoinUserException($"{path}: vision model_type '{type}' is not implemented; implemented: clip_vision_model, siglip_vision_model");
        string activation = vision["hidden_act"]?.GetValue<string>() ?? (siglip ? "gelu_pytorch_tanh" : "quick_gelu");
        if (!Coin.Nn.Layers.Activations.IsSupported(activation))
            throw new CoinUserException($"{path}: hidden_act '{activation}' is not supported; supported: {string.Join(", ", Coin.Nn.Layers.Activations.Supported.Keys)}");
        return new ClipVisionConfig(Int("image_size"), Int("patch_size"), Int("hidden_size"), Int("intermediate_size"),
            Int("num_hidden_layers"), Int("num_attention_heads"), vision["layer_norm_eps"]?.GetValue<double>() ?? (siglip ? 1e-6 : 1e-5), activation, siglip);
    }
}
