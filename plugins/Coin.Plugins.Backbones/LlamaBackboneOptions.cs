using System.ComponentModel.DataAnnotations;

namespace Coin.Plugins.Backbones;

/// <summary>Options of the <c>llama</c> backbone. A preset gives every size; any size field set here overrides it.</summary>
internal sealed class LlamaBackboneOptions : IValidatableObject
{
    /// <summary>A Hugging Face model folder (config.json, model.safetensors or its index, tokenizer.json); may use
    /// <c>${variables}</c>. When set, the preset and size fields are not used.</summary>
    public string? Path { get; set; }

    /// <summary>config.json fields you know do not change the model's outputs, which the loader would otherwise
    /// refuse as unknown (it loads only what it implements or knows to be harmless: see the model table in docs/guide/models.md).</summary>
    public List<string> AcceptConfigFields { get; set; } = [];

    /// <summary>How the model folder's frozen weights are kept: <c>auto</c> (read in float32; under
    /// <c>training.precision: bfloat16</c> the linear weights the adapter freezes are then stored in bfloat16),
    /// <c>bfloat16</c>, or quantised as QLoRA does, <c>int8</c> (per output row) or <c>nf4</c> (4-bit NormalFloat, blocks
    /// of 64). Anything but auto reads each decoder linear weight straight into that type, one tensor at a time, and
    /// the embeddings and LM head into bfloat16, so a 7B base never exists in float32; those weights must then stay
    /// frozen (LoRA and its kin; a full fine-tune of the backbone is refused).</summary>
    public string FrozenWeights { get; set; } = "auto";

    /// <summary>The end-of-sequence token of a tokenizer.json, when it is none of the usual ones.</summary>
    public string? EosToken { get; set; }

    /// <summary>Named size: <c>tiny</c> (CPU default, ~0.1M parameters), <c>small</c> (d=256), <c>d512</c>, and the
    /// shapes of <c>qwen2-0.5b</c> and <c>llama-7b</c>.</summary>
    public string Preset { get; set; } = "tiny";

    [Range(8, 16384)] public int? HiddenSize { get; set; }
    [Range(8, 65536)] public int? IntermediateSize { get; set; }
    [Range(1, 128)] public int? Layers { get; set; }
    [Range(1, 128)] public int? Heads { get; set; }
    [Range(1, 128)] public int? KeyValueHeads { get; set; }
    /// <summary>Standard deviation of the initial weights; null: 0.02 (HF LLaMA's) for d ≥ 512, 1/√d below, where 0.02
    /// is so small next to 1/√d that the image path's gradients vanish and the model learns to ignore the image.</summary>
    [Range(1e-6, 1.0)] public double? InitializerRange { get; set; }

    [Range(1.0, 1e8)] public double RopeTheta { get; set; } = 10000.0;
    public bool TieWordEmbeddings { get; set; }

    /// <summary>Tokenizer of the presets: <c>words</c> (bytes plus ~360 frequent English words as single ids),
    /// <c>bytes</c>, or <c>english-bpe</c> (a SentencePiece BPE of 4,096 pieces learnt from WordNet's glosses and Jane
    /// Austen's novels, LLaMA's settings). A Hugging Face folder (<c>path</c>) always uses its own tokenizer.</summary>
    public string Tokenizer { get; set; } = "words";

    /// <summary>Prompt format: <c>plain</c>, <c>vicuna_v1</c> (LLaVA-1.5), <c>llama3</c>, <c>chatml</c> (Qwen2), or
    /// <c>auto</c>: the one a model folder's tokenizer_config.json names (refused when it names none of them).</summary>
    public string ChatTemplate { get; set; } = "plain";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!LlamaPresets.Names.Contains(Preset))
            yield return new ValidationResult($"unknown preset '{Preset}'; accepted: {string.Join(", ", LlamaPresets.Names)}", [nameof(Preset)]);
        if (Path is not null && (HiddenSize ?? IntermediateSize ?? Layers ?? Heads ?? KeyValueHeads) is not null)
            yield return new ValidationResult("size fields cannot be combined with path: the model's config.json sets them", [nameof(Path)]);
        if (FrozenWeights != "auto" && !Coin.Nn.Quantization.FrozenWeightsNames.TryParse(FrozenWeights, out _) || FrozenWeights == "float32")
            yield return new ValidationResult($"unknown frozenWeights '{FrozenWeights}'; accepted: auto, bfloat16, int8, nf4", [nameof(FrozenWeights)]);
        if (Path is null && FrozenWeights != "auto")
            yield return new ValidationResult("frozenWeights needs a model folder (path): a preset's weights start random and its base-model stage trains every one of them", [nameof(FrozenWeights)]);
        if (!Text.PresetTokenizers.Names.Contains(Tokenizer))
            yield return new ValidationResult($"unknown tokenizer '{Tokenizer}'; accepted: {string.Join(", ", Text.PresetTokenizers.Names)}", [nameof(Tokenizer)]);
        if (!Text.FolderChatTemplate.Names.Contains(ChatTemplate))
            yield return new ValidationResult($"unknown chat template '{ChatTemplate}'; accepted: {string.Join(", ", Text.FolderChatTemplate.Names)}", [nameof(ChatTemplate)]);
        if (Path is null && ChatTemplate is "auto" or "llama3" or "chatml")
            yield return new ValidationResult($"chat template '{ChatTemplate}' needs a model folder (path) whose tokenizer has its special tokens", [nameof(ChatTemplate)]);
    }
}
