using System.ComponentModel.DataAnnotations;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Nn.Safetensors;
using Coin.Plugins.Encoders.Images;
using static TorchSharp.torch;

namespace Coin.Plugins.Encoders.Vision;

internal sealed class ClipVisionOptions : IValidatableObject
{
    /// <summary>A Hugging Face CLIP folder (config.json + model.safetensors); may use <c>${variables}</c>.
    /// When set, the preset is not used.</summary>
    public string? Path { get; set; }

    /// <summary><c>tiny</c> (CPU), <c>clip-vit-b-16</c>, <c>clip-vit-l-14-336</c> (LLaVA-1.5's tower).</summary>
    public string Preset { get; set; } = "tiny";

    /// <summary>Which hidden state feeds the connector: -2 is LLaVA's choice (the second-to-last layer).</summary>
    public int FeatureLayer { get; set; } = -2;

    /// <summary><c>patch</c> drops the class token (LLaVA); <c>cls_patch</c> keeps it.</summary>
    [RegularExpression("^(patch|cls_patch)$", ErrorMessage = "expected patch or cls_patch")]
    public string SelectFeature { get; set; } = "patch";

    /// <summary><c>pad</c> (LLaVA-1.5), <c>crop</c> (CLIP), <c>resize</c>, or <c>anyres</c> (LLaVA-NeXT: each image cut
    /// into tiles on the grid its folder's <c>image_grid_pinpoints</c> chooses, so that its number of tokens depends on
    /// its size; needs a llava_next folder and its projector, <c>mlp2x-gelu</c> with the same path).</summary>
    [RegularExpression("^(resize|pad|crop|anyres)$", ErrorMessage = "expected resize, pad, crop or anyres")]
    public string Mode { get; set; } = "pad";

    /// <summary>How a folder's frozen linear weights are kept: <c>auto</c> (float32; bfloat16 under
    /// <c>training.precision: bfloat16</c> once the adapter froze them) or <c>bfloat16</c> (half the memory from the
    /// start; the tower must then stay frozen: a full fine-tune of the encoder is refused).</summary>
    [RegularExpression("^(auto|bfloat16)$", ErrorMessage = "expected auto or bfloat16")]
    public string FrozenWeights { get; set; } = "auto";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Path is null && !ClipVisionConfig.PresetNames.Contains(Preset))
            yield return new ValidationResult($"unknown preset '{Preset}'; accepted: {string.Join(", ", ClipVisionConfig.PresetNames)}", [nameof(Preset)]);
        if (Path is null && FrozenWeights != "auto")
            yield return new ValidationResult("frozenWeights needs a model folder (path): a preset's weights start random", [nameof(FrozenWeights)]);
        if (Path is null && Mode == "anyres")
            yield return new ValidationResult("anyres needs a LLaVA-NeXT folder (path): its image_grid_pinpoints choose the tiles", [nameof(Mode)]);
        if (FeatureLayer == 0) yield return new ValidationResult("0 is not a layer; use -1 for the last, -2 for the second-to-last, or 1..N", [nameof(FeatureLayer)]);
    }
}

/// <summary>The <c>clip-vit</c> image encoder: CLIP's vision transformer, features from a chosen layer.</summary>
internal sealed class ClipVisionEncoder : IEncoder, IActivationMemory
{
    private readonly ClipVisionModel model;
    private readonly ImagePreprocessor preprocessor;
    private readonly int layer;
    private readonly bool keepClass;

    public ClipVisionEncoder(ClipVisionModel model, ClipVisionOptions options)
    {
        this.model = model;
        var config = model.Config;
        // hidden_states has layers + 1 entries (embeddings first), indexed like Python's list.
        layer = options.FeatureLayer < 0 ? config.NumHiddenLayers + 1 + options.FeatureLayer : options.FeatureLayer;
        if (layer < 0 || layer > config.NumHiddenLayers)
            throw new CoinOptionException("featureLayer", $"{options.FeatureLayer} is outside the tower's {config.NumHiddenLayers} layers");
        // SigLIP has no class token: every token is a patch.
        keepClass = config.Siglip || options.SelectFeature == "cls_patch";
        preprocessor = new ImagePreprocessor(new ImagePreprocessingOptions
        {
            ImageSize = config.ImageSize,
            // anyres tiles with PrepareAnyResolution, which normalises as the other modes do.
            Mode = options.Mode == "anyres" ? "resize" : options.Mode,
            // SiglipImageProcessor normalises with 0.5 / 0.5.
            Mean = config.Siglip ? [0.5, 0.5, 0.5] : [.. ImagePreprocessingOptions.ClipMean],
            Std = config.Siglip ? [0.5, 0.5, 0.5] : [.. ImagePreprocessingOptions.ClipStd],
        });
    }

    public string Modality => "image";
    public nn.Module Module => model;
    public int OutputDim => model.Config.HiddenSize;
    public int TokensPerInput => model.Config.Patches + (keepClass && !model.Config.Siglip ? 1 : 0);

    public Tensor Prepare(IReadOnlyList<ModalityInput> inputs) => preprocessor.Prepare(inputs);

    /// <summary>One image as LLaVA-NeXT's tiles (<see cref="ImagePreprocessor.PrepareAnyResolution"/>).</summary>
    internal (Tensor Pixels, AnyResolution.Size Original, AnyResolution.Size Best) PrepareAnyResolution(ModalityInput input, IReadOnlyList<AnyResolution.Size> pinpoints)
        => preprocessor.PrepareAnyResolution(input, pinpoints);

    /// <summary>One of several images of a sample under OneVision (<see cref="ImagePreprocessor.PrepareWholeSquare"/>).</summary>
    internal (Tensor Pixels, AnyResolution.Size Original) PrepareWholeSquare(ModalityInput input) => preprocessor.PrepareWholeSquare(input);

    internal int TileSize => model.Config.ImageSize;

    public Tensor Encode(Tensor prepared)
    {
        var features = model.HiddenStates(prepared, layer)[layer];
        return keepClass ? features : features.narrow(1, 1, features.shape[1] - 1);
    }

    /// <summary>A frozen tower runs without gradients (nothing is kept); a training one keeps, per position and layer,
    /// its norms, q/k/v, the attention output, out_proj, the MLP's two widths and the residuals (or, with
    /// checkpointing, each layer's input and one layer at a time).</summary>
    public long TrainingActivationBytes(int batch, int tokens, bool checkpointing)
    {
        if (!model.parameters().Any(p => p.requires_grad)) return 0;
        var c = model.Config;
        double positions = (double)batch * (c.Patches + 1), d = c.HiddenSize;
        double perLayer = (2 * d + 3 * d + d + c.NumAttentionHeads + d + d + 2 * d + 2 * c.IntermediateSize + d + d) * positions;
        double kept = checkpointing ? c.NumHiddenLayers * d * positions + 2 * perLayer : c.NumHiddenLayers * perLayer;
        return (long)(kept * sizeof(float));
    }

    public long GenerationBytes(int batch, int tokens) => 0;

    public void Dispose() => model.Dispose();

    /// <summary>Loads the vision tower of a CLIPVisionModel or CLIPModel folder; text-tower tensors are ignored.</summary>
    /// <remarks>Also the vision tower of a llava-hf folder (LlavaForConditionalGeneration): its vision_config, and its
    /// <c>[model.]vision_tower.vision_model.*</c> tensors.</remarks>
    public static ClipVisionModel Load(string folder)
    {
        string configPath = System.IO.Path.Combine(folder, "config.json");
        var config = ClipVisionConfig.Read(configPath);
        using var weights = new RenamedWeights(IWeightSource.OpenFolder(folder), TowerName, "the vision tower's tensors");
        LayerCount.Require(weights, "vision_model.encoder.layers.", config.NumHiddenLayers, configPath, "num_hidden_layers");
        // SigLIP's pooling head is not used: vision-language models take hidden states, not its pooled vector.
        return ModuleWeights.Fill(new ClipVisionModel(config), weights, ignoreUnexpected: name => name.EndsWith("position_ids", StringComparison.Ordinal)
            || config.Siglip && name.StartsWith("vision_model.head.", StringComparison.Ordinal));
    }

    private static string? TowerName(string name)
    {
        foreach (string prefix in new[] { "model.vision_tower.", "vision_tower.", "" })
            if (name.StartsWith(prefix + "vision_model.", StringComparison.Ordinal)) return name[prefix.Length..];
        return null;
    }
}

[CoinPlugin(PluginKind.Encoder, "clip-vit", "0.5.0", "CLIP or SigLIP vision transformer (HF names), features from layer -2, LLaVA pad preprocessing or LLaVA-NeXT any-resolution tiles")]
internal sealed class ClipVisionEncoderPlugin : PluginFactory<IEncoder, ClipVisionOptions>
{
    protected override IEncoder Create(ClipVisionOptions options, ComponentContext context)
    {
        if (options.Path is null) return new ClipVisionEncoder(new ClipVisionModel(ClipVisionConfig.Preset(options.Preset)), options);
        string folder = context.ResolvePath(options.Path);
        string configPath = System.IO.Path.Combine(folder, "config.json");
        // Read once for the checks of a llava folder's settings (ClipVisionEncoder.Load reads its vision_config).
        var root = File.Exists(configPath)
            ? System.Text.Json.Nodes.JsonNode.Parse(Coin.Nn.Files.InputFile.ReadJsonText(configPath, Coin.Nn.Files.InputFile.Limits.Config, "config file"))
            : null;
        CheckLlavaFeatureLayer(root, configPath, options.FeatureLayer);
        var grid = LlavaNextGrid.Read(root, configPath, options.Mode);
        var model = ClipVisionEncoder.Load(folder);
        CheckLlavaFeatureSelection(root, configPath, options.SelectFeature, model.Config.Siglip);
        if (options.FrozenWeights == "bfloat16")
        {
            // The tower is 0.3B parameters: read in float32 and converted layer by layer, a transient of one layer.
            foreach (var linear in model.modules().OfType<Coin.Nn.Layers.AutocastLinear>())
            {
                foreach (var p in linear.parameters()) p.requires_grad = false;
                linear.StoreFrozenAs(TorchSharp.torch.ScalarType.BFloat16);
            }
        }
        var encoder = new ClipVisionEncoder(model, options);
        return grid is null ? encoder : new ClipTiledEncoder(encoder, grid, configPath);
    }

    /// <summary>A llava-hf folder says which positions its projector was trained on: <c>default</c> drops the first
    /// (CLIP's class token; on SigLIP, which has none, a patch), <c>full</c> keeps all.</summary>
    private static void CheckLlavaFeatureSelection(System.Text.Json.Nodes.JsonNode? root, string config, string selectFeature, bool siglip)
    {
        if (root?["vision_feature_select_strategy"] is not System.Text.Json.Nodes.JsonValue value || !value.TryGetValue(out string? strategy)) return;
        bool keepsFirst = siglip || selectFeature == "cls_patch";
        if (strategy == "default" && siglip)
            throw new CoinUserException($"{config}: vision_feature_select_strategy 'default' on a SigLIP tower drops its first patch, which is not implemented");
        if (strategy is "default" or "full" && keepsFirst != (strategy == "full"))
            throw new CoinOptionException("selectFeature", $"{selectFeature}, but {config} has vision_feature_select_strategy {strategy} ({(strategy == "full" ? "cls_patch" : "patch")})");
    }

    /// <summary>A llava-hf folder says which layer its projector was trained on: another featureLayer would feed it
    /// features it never saw.</summary>
    private static void CheckLlavaFeatureLayer(System.Text.Json.Nodes.JsonNode? root, string config, int featureLayer)
    {
        if (root?["vision_feature_layer"] is System.Text.Json.Nodes.JsonValue value && value.TryGetValue(out int layer) && layer != featureLayer)
            throw new CoinOptionException("featureLayer", $"{featureLayer}, but {config} has vision_feature_layer {layer}");
    }
}
