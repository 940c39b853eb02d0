using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Abstractions.Plugins;

namespace Coin.Plugins.Backbones.Llama;

/// <summary>Every config.json field the loader knows, in one place: those it implements (read and honoured, or
/// refused for a value it does not run), and those known not to change the model's outputs. Any other field stops the
/// load, so an unfamiliar architecture change cannot pass as a model it is not.</summary>
internal static class ConfigFields
{
    /// <summary>Read by <see cref="HuggingFaceConfig"/>; each changes the math and is implemented.</summary>
    public static readonly IReadOnlySet<string> Implemented = new HashSet<string>
    {
        "model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
        "num_key_value_heads", "head_dim", "hidden_act", "rms_norm_eps", "tie_word_embeddings", "attention_bias", "mlp_bias",
        "rope_theta", "rope_scaling", "rope_parameters", "max_position_embeddings",
        "use_sliding_window", "sliding_window", "max_window_layers", "layer_types",
        // Implemented for the only value we run (0): any other value is refused.
        "attention_dropout",
    };

    /// <summary>Fields that do not change what the model computes: metadata, token ids, generation defaults (used by
    /// <c>generate</c>, not by the model), initialisation (the weights are loaded), and <c>pretraining_tp</c> (it
    /// splits LLaMA's projections into slices whose results are summed: the same products up to rounding).</summary>
    public static readonly IReadOnlySet<string> Harmless = new HashSet<string>
    {
        "architectures", "torch_dtype", "dtype", "transformers_version", "_name_or_path", "name_or_path", "_commit_hash",
        "bos_token_id", "eos_token_id", "pad_token_id", "sep_token_id", "decoder_start_token_id", "tokenizer_class",
        "use_cache", "initializer_range", "pretraining_tp", "output_attentions", "output_hidden_states", "return_dict",
        "torchscript", "use_bfloat16", "tf_legacy_loss", "pruned_heads", "chunk_size_feed_forward", "is_decoder",
        "is_encoder_decoder", "add_cross_attention", "tie_encoder_decoder", "cross_attention_hidden_size", "id2label",
        "label2id", "problem_type", "finetuning_task", "task_specific_params", "prefix",
        "max_length", "min_length", "do_sample", "early_stopping", "num_beams", "num_beam_groups", "diversity_penalty",
        "temperature", "top_k", "top_p", "typical_p", "repetition_penalty", "length_penalty", "no_repeat_ngram_size",
        "encoder_no_repeat_ngram_size", "bad_words_ids", "num_return_sequences", "output_scores",
        "return_dict_in_generate", "forced_bos_token_id", "forced_eos_token_id", "remove_invalid_values",
        "exponential_decay_length_penalty", "suppress_tokens", "begin_suppress_tokens",
    };

    /// <summary>Fields a family's model class ignores in transformers (it hard-codes what they would set).</summary>
    public static IReadOnlySet<string> IgnoredBy(string modelType) => modelType switch
    {
        "llama" => new HashSet<string> { "use_sliding_window", "sliding_window", "max_window_layers", "layer_types" },
        // The multimodal fields of LLaVA's config are the vision tower's and the projector's, read by the encoder and
        // the connector (which check them against the experiment); none changes the language model.
        "llava_llama" => new HashSet<string>
        {
            "use_sliding_window", "sliding_window", "max_window_layers", "layer_types",
            "mm_hidden_size", "mm_projector_type", "mm_vision_select_layer", "mm_vision_select_feature", "mm_vision_tower",
            "image_aspect_ratio", "mm_use_im_start_end", "mm_use_im_patch_token", "mm_patch_merge_type", "tune_mm_mlp_adapter",
            "freeze_mm_mlp_adapter", "tokenizer_model_max_length", "tokenizer_padding_side", "use_mm_proj", "mm_projector_lr",
            "mm_vision_tower_lr", "unfreeze_mm_vision_tower", "image_grid_pinpoints", "freeze_backbone",
        },
        "qwen2" => new HashSet<string> { "attention_bias", "mlp_bias" },
        "mistral" => new HashSet<string> { "attention_bias", "mlp_bias", "use_sliding_window", "max_window_layers" },
        _ => new HashSet<string>(),
    };
}

/// <summary>Typed reads of one JSON object of a config file, each error naming the file, the key and what was expected.</summary>
internal sealed class ConfigReader(string path, JsonObject root)
{
    public string Path => path;
    public JsonObject Root => root;

    /// <summary>Stops on the first field neither implemented, known harmless, ignored by the family, nor accepted.</summary>
    public void RefuseUnknown(string modelType, IReadOnlyCollection<string> accepted)
    {
        var ignored = ConfigFields.IgnoredBy(modelType);
        foreach (var (key, value) in root)
            if (!ConfigFields.Implemented.Contains(key) && !ConfigFields.Harmless.Contains(key) && !ignored.Contains(key) && !accepted.Contains(key))
                throw new CoinUserException($"{path}: field '{key}' ({Short(value)}) is not implemented and may change the model, so it is not loaded. " +
                                            "If it does not change the outputs, name it in the backbone's acceptConfigFields");
    }

    public int Int(string key, int? fallback = null)
    {
        if (root[key] is not { } node || node.GetValueKind() == JsonValueKind.Null)
            return fallback ?? throw new CoinUserException($"{path}: missing integer '{key}'");
        try
        {
            return node.GetValue<int>();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            // 4096.0 is an integer too (some exporters write every number as a float).
            if (node is JsonValue v && v.TryGetValue(out double d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue) return (int)d;
            throw new CoinUserException($"{path}: '{key}' is {node.ToJsonString()}; expected an integer");
        }
    }

    public int? OptionalInt(string key) => root[key] is null || root[key]!.GetValueKind() == JsonValueKind.Null ? null : Int(key);

    public double Double(string key, double fallback)
    {
        if (root[key] is not { } node || node.GetValueKind() == JsonValueKind.Null) return fallback;
        return node is JsonValue v && v.TryGetValue(out double d) ? d
            : throw new CoinUserException($"{path}: '{key}' is {node.ToJsonString()}; expected a number");
    }

    public bool Bool(string key, bool fallback)
    {
        if (root[key] is not { } node || node.GetValueKind() == JsonValueKind.Null) return fallback;
        return node.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? node.GetValue<bool>()
            : throw new CoinUserException($"{path}: '{key}' is {node.ToJsonString()}; expected true or false");
    }

    public string String(string key, string fallback)
    {
        if (root[key] is not { } node || node.GetValueKind() == JsonValueKind.Null) return fallback;
        return node is JsonValue v && v.TryGetValue(out string? s) ? s
            : throw new CoinUserException($"{path}: '{key}' is {node.ToJsonString()}; expected a string");
    }

    private static string Short(JsonNode? value)
    {
        string text = value?.ToJsonString() ?? "null";
        return text.Length <= 60 ? text : text[..57] + "...";
    }
}
