using Coin.Nn.Quantization;
using Coin.Nn.Safetensors;

namespace Coin.Plugins.Backbones.Llama;

/// <summary>Loads and saves a <see cref="LlamaForCausalLM"/> as a Hugging Face model folder
/// (config.json + model.safetensors or its sharded index).</summary>
internal static class HuggingFaceCheckpoint
{
    /// <param name="acceptedFields">config.json fields the user declares harmless.</param>
    /// <param name="frozenWeights">Null: every tensor in float32 (the run may store frozen linears in its compute type
    /// once the adapter is applied). Otherwise the decoder's linear weights are read straight into it (bfloat16, int8
    /// or NF4), and the embeddings and LM head into bfloat16, one tensor at a time: no float32 copy of the base exists.</param>
    /// <param name="shapesOnly">Read config.json and the weight index only (a memory plan on the meta device).</param>
    public static LlamaForCausalLM Load(string folder, IReadOnlyCollection<string>? acceptedFields = null, FrozenWeights? frozenWeights = null, bool shapesOnly = false)
    {
        var (config, llavaHf) = HuggingFaceConfig.ReadWithLayout(Path.Combine(folder, "config.json"), acceptedFields);
        using IWeightSource weights = llavaHf
            ? new RenamedWeights(IWeightSource.OpenFolder(folder), LanguageModelName, "the language model's tensors")
            : IWeightSource.OpenFolder(folder);
        // Checked before the model is built: see LayerCount.
        LayerCount.Require(weights, "model.layers.", config.NumHiddenLayers, Path.Combine(folder, "config.json"), "num_hidden_layers");
        bool deferred = frozenWeights is not null || shapesOnly;
        // A tied model has no lm_head of its own; some tied checkpoints still store a copy of the embeddings as it.
        // LLaVA's original checkpoint holds its projector too: the connector loads it (a fine-tuned vision tower in it
        // is not ignored: it stays an unexpected tensor, and the load stops naming it).
        return ModuleWeights.Fill(new LlamaForCausalLM(config, deferred), weights,
            ignoreUnexpected: llavaHf
                ? name => config.TieWordEmbeddings && name == "lm_head.weight"
                : name => name.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal) || config.TieWordEmbeddings && name == "lm_head.weight"
                          || name.StartsWith("model.mm_projector.", StringComparison.Ordinal),
            storage: StorageOf(frozenWeights), shapesOnly: shapesOnly);
    }

    /// <summary>The decoder's linear weights are stored as asked; the embeddings and the LM head, which QLoRA keeps
    /// unquantised, in bfloat16 (they are looked up or used once per token, not worth a dequantisation).</summary>
    private static Func<string, FrozenWeights>? StorageOf(FrozenWeights? frozenWeights) => frozenWeights switch
    {
        null => null,
        { } format => name => name.StartsWith("model.layers.", StringComparison.Ordinal) ? format
            : format == FrozenWeights.Float32 ? FrozenWeights.Float32 : FrozenWeights.BFloat16,
    };

    /// <summary>The language model's name in a llava-hf folder: <c>language_model.model.*</c> and
    /// <c>language_model.lm_head.*</c> (transformers before 4.52), or <c>model.language_model.*</c> and <c>lm_head.*</c>
    /// (since); the vision tower and projector are the encoder's and the connector's.</summary>
    private static string? LanguageModelName(string name)
        => name.StartsWith("language_model.", StringComparison.Ordinal) ? name["language_model.".Length..]
            : name.StartsWith("model.language_model.", StringComparison.Ordinal) ? "model." + name["model.language_model.".Length..]
            : name.StartsWith("lm_head.", StringComparison.Ordinal) ? name : null;

    /// <summary>Writes config.json and model.safetensors with the architecture's own tensors only: whatever an
    /// adapter registered inside the model (LoRA's lora_A and lora_B) stays out of a Hugging Face folder.</summary>
    public static void Save(LlamaForCausalLM model, string folder)
    {
        Directory.CreateDirectory(folder);
        HuggingFaceConfig.Write(Path.Combine(folder, "config.json"), model.Config);
        var own = ArchitectureNames(model.Config);
        ModuleWeights.Save(model, Path.Combine(folder, "model.safetensors"),
            include: name => own.Contains(name) && !(model.Config.TieWordEmbeddings && name == "lm_head.weight"),
            metadata: new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>The state-dict names of a plain model of this configuration (Hugging Face's names), written out from
    /// the configuration rather than read off a model built for it, which would allocate it (or, on the meta
    /// device, change the default device of every thread of the process while it is built).</summary>
    public static HashSet<string> ArchitectureNames(LlamaConfig config)
    {
        var names = new HashSet<string>(StringComparer.Ordinal) { "model.embed_tokens.weight", "model.norm.weight" };
        if (!config.TieWordEmbeddings) names.Add("lm_head.weight");
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            string layer = $"model.layers.{i}.";
            names.Add(layer + "input_layernorm.weight");
            names.Add(layer + "post_attention_layernorm.weight");
            foreach (string projection in new[] { "q_proj", "k_proj", "v_proj", "o_proj" })
            {
                names.Add($"{layer}self_attn.{projection}.weight");
                if (projection == "o_proj" ? config.OutputProjectionBias : config.AttentionBias) names.Add($"{layer}self_attn.{projection}.bias");
            }
            foreach (string projection in new[] { "gate_proj", "up_proj", "down_proj" })
            {
                names.Add($"{layer}mlp.{projection}.weight");
                if (config.MlpBias) names.Add($"{layer}mlp.{projection}.bias");
            }
        }
        return names;
    }
}
