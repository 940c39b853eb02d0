using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Abstractions.Plugins;
using Coin.Nn.Layers;

namespace Coin.Plugins.Backbones.Llama;

/// <summary>Reads and writes the config.json of a LLaMA, Qwen2 or Mistral model as transformers reads it: every field
/// that changes the model is either implemented (its value honoured, or refused when that value is not supported) or
/// the load stops naming it. Fields known not to change the outputs are listed in <see cref="ConfigFields"/>.</summary>
internal static class HuggingFaceConfig
{
    /// <summary>llava_llama: the original LLaVA layout (LlavaLlamaForCausalLM), whose language model is LLaMA's.</summary>
    private static readonly string[] SupportedModelTypes = ["llama", "qwen2", "mistral", "llava_llama"];

    /// <param name="accepted">Fields the user declares harmless (the backbone's <c>acceptConfigFields</c>).</param>
    public static LlamaConfig Read(string path, IReadOnlyCollection<string>? accepted = null) => ReadWithLayout(path, accepted).Config;

    /// <summary>As <see cref="Read"/>, and whether the file is llava-hf's (its language model's tensors are then
    /// <c>language_model.*</c>).</summary>
    public static (LlamaConfig Config, bool LlavaHf) ReadWithLayout(string path, IReadOnlyCollection<string>? accepted = null)
    {
        if (!File.Exists(path)) throw new CoinUserException($"{path}: config.json not found");
        JsonObject root;
        try
        {
            root = JsonNode.Parse(Coin.Nn.Files.InputFile.ReadJsonText(path, Coin.Nn.Files.InputFile.Limits.Config, "config file")) as JsonObject ?? throw new JsonException("not a JSON object");
        }
        catch (JsonException e)
        {
            throw new CoinUserException($"{path}: malformed JSON ({e.Message})");
        }
        string modelType = root["model_type"] is JsonValue type && type.TryGetValue(out string? t) ? t : "";
        bool llavaHf = modelType is "llava" or "llava_next" or "llava_onevision";
        if (llavaHf) (root, modelType, path) = LlavaTextConfig(root, path);
        if (!SupportedModelTypes.Contains(modelType))
            throw new CoinUserException($"{path}: model_type '{modelType}' is not supported; accepted: {string.Join(", ", SupportedModelTypes)}, and llava, llava_next or llava_onevision around llama, qwen2 or mistral");
        var fields = new ConfigReader(path, root);
        fields.RefuseUnknown(modelType, accepted ?? []);

        int heads = fields.Int("num_attention_heads");
        int layers = fields.Int("num_hidden_layers");
        if (fields.Double("attention_dropout", 0) != 0)
            throw new CoinUserException($"{path}: attention_dropout is {root["attention_dropout"]!.ToJsonString()}; attention dropout is not implemented (only 0 is)");
        var (rope, theta) = RopeOf(fields, root);
        var (window, slidingLayers) = SlidingWindowOf(fields, modelType, layers);
        if (modelType == "llava_llama" && fields.Bool("mm_use_im_start_end", false))
            throw new CoinUserException($"{path}: mm_use_im_start_end is true: image start/end tokens around the features are not implemented (LLaVA-1.5 has false)");
        // transformers hard-codes the biases per family: Qwen2 on q, k, v (never o, whatever attention_bias says);
        // LLaMA on q, k, v and o with attention_bias, on the MLP with mlp_bias; Mistral none.
        bool llama = modelType is "llama" or "llava_llama";
        bool attentionBias = modelType == "qwen2" || llama && fields.Bool("attention_bias", false);
        var config = new LlamaConfig(
            VocabSize: fields.Int("vocab_size"),
            HiddenSize: fields.Int("hidden_size"),
            IntermediateSize: fields.Int("intermediate_size"),
            NumHiddenLayers: layers,
            NumAttentionHeads: heads,
            NumKeyValueHeads: fields.Int("num_key_value_heads", heads),
            RopeTheta: theta,
            RmsNormEps: fields.Double("rms_norm_eps", 1e-6),
            TieWordEmbeddings: fields.Bool("tie_word_embeddings", false),
            AttentionBias: attentionBias,
            OutputProjectionBias: llama && attentionBias,
            MlpBias: llama && fields.Bool("mlp_bias", false),
            HiddenAct: fields.String("hidden_act", "silu"),
            HeadDimension: fields.OptionalInt("head_dim"),
            Rope: rope.Type == "default" ? null : rope,
            MaxPositionEmbeddings: fields.Int("max_position_embeddings", llama ? 2048 : 32768),
            SlidingWindow: window,
            SlidingLayers: slidingLayers);
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new CoinUserException($"{path}: {e.Message}");
        }
        return (config, llavaHf);
    }

    /// <summary>llava-hf's LlavaForConditionalGeneration keeps the language model's config in <c>text_config</c>, written
    /// with only the fields that differ from its family's defaults (LlavaConfig serialises it as a diff against the
    /// family's config class): they are filled in as transformers' LlamaConfig, Qwen2Config or MistralConfig does.
    /// LLaMA is LLaVA-1.5's; Qwen2 is llava-interleave-qwen's and OneVision's, Mistral LLaVA-NeXT's.</summary>
    private static (JsonObject Root, string ModelType, string Path) LlavaTextConfig(JsonObject root, string path)
    {
        var known = new HashSet<string> { "model_type", "architectures", "text_config", "vision_config", "image_token_index", "image_token_id",
            "projector_hidden_act", "vision_feature_layer", "vision_feature_select_strategy", "ignore_index", "pad_token_id", "vocab_size",
            "torch_dtype", "dtype", "transformers_version", "tie_word_embeddings", "image_seq_length", "multimodal_projector_bias", "_name_or_path" };
        // LLaVA-NeXT's and OneVision's grid of any-resolution tiles: the image encoder and the connector read it (and
        // OneVision's anyres_max_N); the language model is as llava's. OneVision's video token is used by no image.
        string family = root["model_type"]!.GetValue<string>();
        if (family is "llava_next" or "llava_onevision") known.Add("image_grid_pinpoints");
        if (family == "llava_onevision") known.UnionWith(["vision_aspect_ratio", "video_token_index", "video_token_id"]);
        foreach (var (key, value) in root)
            if (!known.Contains(key)) throw new CoinUserException($"{path}: llava field '{key}' ({value?.ToJsonString()}) is not implemented and may change the model");
        if (root["text_config"] is not JsonObject text) throw new CoinUserException($"{path}: a llava config without text_config");
        // LlavaOnevisionConfig's text_config defaults to Qwen2, the others' to LLaMA.
        string textType = text["model_type"] is JsonValue kind && kind.TryGetValue(out string? k) ? k : family == "llava_onevision" ? "qwen2" : "llama";
        if (!LlavaTextDefaults.TryGetValue(textType, out var defaults))
            throw new CoinUserException($"{path}: text_config.model_type '{textType}' inside llava is not implemented; {string.Join(", ", LlavaTextDefaults.Keys)} are");
        var merged = (JsonObject)defaults.DeepClone();
        foreach (var (key, value) in text) merged[key] = value?.DeepClone();
        return (merged, textType, $"{path}: text_config");
    }

    /// <summary>What each family's config class gives for a field its text_config leaves out (transformers'
    /// configuration_llama.py, configuration_qwen2.py, configuration_mistral.py).</summary>
    private static readonly Dictionary<string, JsonObject> LlavaTextDefaults = new()
    {
        ["llama"] = new JsonObject
        {
            ["model_type"] = "llama", ["vocab_size"] = 32000, ["hidden_size"] = 4096, ["intermediate_size"] = 11008, ["num_hidden_layers"] = 32,
            ["num_attention_heads"] = 32, ["hidden_act"] = "silu", ["max_position_embeddings"] = 2048, ["rms_norm_eps"] = 1e-6,
            ["tie_word_embeddings"] = false, ["rope_theta"] = 10000.0,
        },
        ["qwen2"] = new JsonObject
        {
            ["model_type"] = "qwen2", ["vocab_size"] = 151936, ["hidden_size"] = 4096, ["intermediate_size"] = 22016, ["num_hidden_layers"] = 32,
            ["num_attention_heads"] = 32, ["num_key_value_heads"] = 32, ["hidden_act"] = "silu", ["max_position_embeddings"] = 32768,
            ["rms_norm_eps"] = 1e-6, ["tie_word_embeddings"] = false, ["rope_theta"] = 10000.0, ["use_sliding_window"] = false,
            ["sliding_window"] = 4096, ["max_window_layers"] = 28,
        },
        ["mistral"] = new JsonObject
        {
            ["model_type"] = "mistral", ["vocab_size"] = 32000, ["hidden_size"] = 4096, ["intermediate_size"] = 14336, ["num_hidden_layers"] = 32,
            ["num_attention_heads"] = 32, ["num_key_value_heads"] = 8, ["hidden_act"] = "silu", ["max_position_embeddings"] = 4096 * 32,
            ["rms_norm_eps"] = 1e-6, ["tie_word_embeddings"] = false, ["rope_theta"] = 10000.0, ["sliding_window"] = 4096,
        },
    };

    /// <summary>The frequency scaling and θ from <c>rope_parameters</c> (transformers v5) or <c>rope_scaling</c> and
    /// <c>rope_theta</c> (v4), refusing types and keys we do not run.</summary>
    private static (RopeScaling Rope, double Theta) RopeOf(ConfigReader fields, JsonObject root)
    {
        string path = fields.Path;
        double? topTheta = root["rope_theta"] is null ? null : fields.Double("rope_theta", 10000);
        string key = root["rope_parameters"] is JsonObject ? "rope_parameters" : "rope_scaling";
        if (root[key] is not JsonObject parameters)
        {
            if (root[key] is { } other && other.GetValueKind() != JsonValueKind.Null)
                throw new CoinUserException($"{path}: {key} is {other.ToJsonString()}; expected an object or null");
            return (RopeScaling.Default, topTheta ?? 10000.0);
        }
        if (parameters.Any(p => p.Value is JsonObject))
            throw new CoinUserException($"{path}: {key} gives parameters per layer type ({string.Join(", ", parameters.Select(p => p.Key))}); per-layer rotary embeddings are not implemented");
        var rope = new ConfigReader($"{path}: {key}", parameters);
        string type = parameters["rope_type"] is not null ? rope.String("rope_type", "default") : rope.String("type", "default");
        if (!RopeScaling.Types.Contains(type))
            throw new CoinUserException($"{path}: {key}.rope_type is '{type}'; implemented: {string.Join(", ", RopeScaling.Types)}");
        var known = RopeScaling.KeysOf[type].Concat(["rope_type", "type", "rope_theta", "partial_rotary_factor"]).ToHashSet();
        foreach (var (name, value) in parameters)
            if (!known.Contains(name))
                throw new CoinUserException($"{path}: {key}.{name} ({value?.ToJsonString() ?? "null"}) is not a parameter of rope type '{type}', which reads {string.Join(", ", RopeScaling.KeysOf[type].DefaultIfEmpty("nothing"))}");
        if (rope.Double("partial_rotary_factor", 1.0) != 1.0)
            throw new CoinUserException($"{path}: {key}.partial_rotary_factor is {parameters["partial_rotary_factor"]!.ToJsonString()}; partial rotary embeddings are not implemented (only 1.0 is)");
        double? parameterTheta = parameters["rope_theta"] is null ? null : rope.Double("rope_theta", 10000);
        if (parameterTheta is { } a && topTheta is { } b && a != b)
            throw new CoinUserException($"{path}: rope_theta is {b} but {key}.rope_theta is {a}; which one the model was trained with is ambiguous");

        double? Optional(string name) => parameters[name] is null || parameters[name]!.GetValueKind() == JsonValueKind.Null ? null : rope.Double(name, 0);
        double Required(string name) => Optional(name) ?? throw new CoinUserException($"{path}: {key}.{name} is missing; rope type '{type}' needs it");
        var scaling = type switch
        {
            "default" => RopeScaling.Default,
            "linear" or "dynamic" => new RopeScaling(type, Factor: Required("factor")),
            "llama3" => new RopeScaling(type, Factor: Required("factor"), LowFreqFactor: Required("low_freq_factor"),
                HighFreqFactor: Required("high_freq_factor"), OriginalMaxPositionEmbeddings: (int)Required("original_max_position_embeddings")),
            _ => new RopeScaling(type, Factor: Optional("factor"), OriginalMaxPositionEmbeddings: Optional("original_max_position_embeddings") is { } o ? (int)o : null,
                AttentionFactor: Optional("attention_factor"), BetaFast: Optional("beta_fast"), BetaSlow: Optional("beta_slow"),
                Mscale: Optional("mscale"), MscaleAllDim: Optional("mscale_all_dim"), Truncate: rope.Bool("truncate", true)),
        };
        if (scaling.Factor is <= 0) throw new CoinUserException($"{path}: {key}.factor is {scaling.Factor}; it must be positive");
        if (type == "yarn" && scaling.Factor is null && scaling.OriginalMaxPositionEmbeddings is null)
            throw new CoinUserException($"{path}: {key} of type yarn needs factor or original_max_position_embeddings");
        return (scaling, parameterTheta ?? topTheta ?? 10000.0);
    }

    /// <summary>Qwen2: a window when <c>use_sliding_window</c>, on the layers from <c>max_window_layers</c> on (or as
    /// <c>layer_types</c> says); Mistral: <c>sliding_window</c> on every layer (4096 when absent, null for none);
    /// LLaMA has none (transformers ignores these fields there).</summary>
    private static (int? Window, IReadOnlyList<bool>? Layers) SlidingWindowOf(ConfigReader fields, string modelType, int layers)
    {
        JsonNode? Node(string name) => fields.Root[name] is { } n && n.GetValueKind() != JsonValueKind.Null ? n : null;
        // Checked even where this family or setting does not use it: a negative window is a damaged file, not a choice.
        if (Node("sliding_window") is not null && fields.OptionalInt("sliding_window") is <= 0 and var bad)
            throw new CoinUserException($"{fields.Path}: sliding_window is {bad}; expected a positive number of positions (or null)");
        switch (modelType)
        {
            case "mistral":
                return (fields.Root.ContainsKey("sliding_window") ? fields.OptionalInt("sliding_window") : 4096, null);
            case "qwen2":
                if (!fields.Bool("use_sliding_window", false)) return (null, null);
                int? window = fields.Root.ContainsKey("sliding_window") ? fields.OptionalInt("sliding_window") : 4096;
                if (window is null) return (null, null);
                if (Node("layer_types") is JsonArray types)
                {
                    var sliding = types.Select((v, i) => (v as JsonValue)?.TryGetValue(out string? s) == true ? s : null).Select((s, i) => s switch
                    {
                        "sliding_attention" => true,
                        "full_attention" => false,
                        _ => throw new CoinUserException($"{fields.Path}: layer_types[{i}] is {types[i]?.ToJsonString()}; expected \"full_attention\" or \"sliding_attention\""),
                    }).ToList();
                    if (sliding.Count != layers) throw new CoinUserException($"{fields.Path}: layer_types has {sliding.Count} entries for {layers} layers");
                    return (window, sliding);
                }
                int first = fields.Int("max_window_layers", 28);
                return (window, Enumerable.Range(0, layers).Select(i => i >= first).ToList());
            default:
                return (null, null);
        }
    }

    public static void Write(string path, LlamaConfig config)
    {
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray("LlamaForCausalLM"),
            ["model_type"] = "llama",
            ["vocab_size"] = config.VocabSize,
            ["hidden_size"] = config.HiddenSize,
            ["intermediate_size"] = config.IntermediateSize,
            ["num_hidden_layers"] = config.NumHiddenLayers,
            ["num_attention_heads"] = config.NumAttentionHeads,
            ["num_key_value_heads"] = config.NumKeyValueHeads,
            ["rope_theta"] = config.RopeTheta,
            ["rms_norm_eps"] = config.RmsNormEps,
            ["tie_word_embeddings"] = config.TieWordEmbeddings,
            ["attention_bias"] = config.AttentionBias,
            ["mlp_bias"] = config.MlpBias,
            ["hidden_act"] = config.HiddenAct,
            ["max_position_embeddings"] = config.MaxPositionEmbeddings,
            ["torch_dtype"] = "float32",
        };
        if (config.HeadDimension is { } headDim) root["head_dim"] = headDim;
        if (config.Rope is { } rope) root["rope_scaling"] = RopeJson(rope);
        // Biases on q, k, v without one on o, or a sliding window, are how Qwen2 and Mistral differ from LLaMA.
        bool llamaBiases = config.AttentionBias == config.OutputProjectionBias;
        if (llamaBiases && config.SlidingWindow is null) { }
        else if (config.AttentionBias && !config.OutputProjectionBias && !config.MlpBias)
        {
            root["model_type"] = "qwen2";
            root["architectures"] = new JsonArray("Qwen2ForCausalLM");
            root.Remove("attention_bias");
            root.Remove("mlp_bias");
            root["use_sliding_window"] = config.SlidingWindow is not null;
            root["sliding_window"] = config.SlidingWindow;
            if (config.SlidingWindow is not null)
                root["layer_types"] = new JsonArray(Enumerable.Range(0, config.NumHiddenLayers)
                    .Select(i => (JsonNode)(config.IsSlidingLayer(i) ? "sliding_attention" : "full_attention")).ToArray());
        }
        else if (!config.AttentionBias && !config.MlpBias && Enumerable.Range(0, config.NumHiddenLayers).All(config.IsSlidingLayer))
        {
            root["model_type"] = "mistral";
            root["architectures"] = new JsonArray("MistralForCausalLM");
            root.Remove("attention_bias");
            root.Remove("mlp_bias");
            root["sliding_window"] = config.SlidingWindow;
        }
        else throw new ArgumentException("this combination of biases and sliding window is none of LLaMA's, Qwen2's or Mistral's");
        File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Fields transformers' <c>save_pretrained</c> writes into config.json that Coin's model does not use:
    /// the token ids <c>generate</c> stops and pads by, and the initialiser's range.</summary>
    private static readonly string[] CarriedFields = ["bos_token_id", "eos_token_id", "pad_token_id", "initializer_range"];

    /// <summary>Completes an exported config.json (written by <see cref="Write"/>) with <see cref="CarriedFields"/> as
    /// the source folder's config.json gives them (a llava-hf config: its text_config, else its top level), else the
    /// family's defaults in transformers (LLaMA and Mistral: bos 1, eos 2; every family: initializer_range 0.02); and
    /// writes generation_config.json as <c>GenerationConfig.from_model_config</c> would, when the source has none to
    /// copy, so that <c>generate</c> stops at the end token.</summary>
    public static void CompleteExport(string sourceFolder, string exportFolder)
    {
        string target = Path.Combine(exportFolder, "config.json");
        var exported = JsonNode.Parse(File.ReadAllText(target))!.AsObject();
        var source = JsonNode.Parse(Coin.Nn.Files.InputFile.ReadJsonText(Path.Combine(sourceFolder, "config.json"), Coin.Nn.Files.InputFile.Limits.Config, "config file"))!.AsObject();
        var text = source["text_config"] as JsonObject;
        string family = (string?)exported["model_type"] ?? "llama";
        var defaults = new Dictionary<string, JsonNode?> { ["initializer_range"] = 0.02 };
        if (family != "qwen2") { defaults["bos_token_id"] = 1; defaults["eos_token_id"] = 2; }
        foreach (string field in CarriedFields)
        {
            var value = text?[field] ?? source[field] ?? (defaults.TryGetValue(field, out var d) ? d : null);
            if (value is not null) exported[field] = value.DeepClone();
        }
        var options = new JsonSerializerOptions { WriteIndented = true };
        File.WriteAllText(target, exported.ToJsonString(options));
        string generation = Path.Combine(exportFolder, "generation_config.json");
        if (File.Exists(generation)) return;
        var config = new JsonObject { ["_from_model_config"] = true };
        foreach (string field in new[] { "bos_token_id", "eos_token_id", "pad_token_id" })
            if (exported[field] is { } id) config[field] = id.DeepClone();
        File.WriteAllText(generation, config.ToJsonString(options));
    }

    private static JsonObject RopeJson(RopeScaling rope)
    {
        var json = new JsonObject { ["rope_type"] = rope.Type };
        void Put(string name, double? value) { if (value is { } v) json[name] = v; }
        Put("factor", rope.Factor);
        Put("low_freq_factor", rope.LowFreqFactor);
        Put("high_freq_factor", rope.HighFreqFactor);
        if (rope.OriginalMaxPositionEmbeddings is { } original) json["original_max_position_embeddings"] = original;
        Put("attention_factor", rope.AttentionFactor);
        Put("beta_fast", rope.BetaFast);
        Put("beta_slow", rope.BetaSlow);
        Put("mscale", rope.Mscale);
        Put("mscale_all_dim", rope.MscaleAllDim);
        if (rope.Type == "yarn" && !rope.Truncate) json["truncate"] = false;
        return json;
    }
}
