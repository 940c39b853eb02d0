using Coin.Nn.Safetensors;

namespace Coin.Plugins.Backbones.Llama;

/// <summary>Loads and saves a <see cref="LlamaForCausalLM"/> as a Hugging Face model folder
/// (config.json + model.safetensors or its sharded index).</summary>
public static class HuggingFaceCheckpoint
{
    /// <param name="acceptedFields">config.json fields the user declares harmless.</param>
    public static LlamaForCausalLM Load(string folder, IReadOnlyCollection<string>? acceptedFields = null)
    {
        var config = HuggingFaceConfig.Read(Path.Combine(folder, "config.json"), acceptedFields);
        return ModuleWeights.LoadFolder(new LlamaForCausalLM(config), folder,
            // A tied model has no lm_head of its own; some tied checkpoints still store a copy of the embeddings as it.
            ignoreUnexpected: name => name.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal) || config.TieWordEmbeddings && name == "lm_head.weight");
    }

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

    /// <summary>The state-dict names of a plain model of this configuration, from one built on the meta device (no
    /// storage allocated).</summary>
    private static HashSet<string> ArchitectureNames(LlamaConfig config)
    {
        var previous = TorchSharp.torch.get_default_device();
        try
        {
            TorchSharp.torch.set_default_device(TorchSharp.torch.META);
            using var plain = new LlamaForCausalLM(config);
            return plain.state_dict().Keys.ToHashSet(StringComparer.Ordinal);
        }
        finally
        {
            TorchSharp.torch.set_default_device(previous);
        }
    }
}
