using Coin.Abstractions.Components;
using Coin.Nn.Layers;
using Coin.Plugins.Backbones.Llama;
using static TorchSharp.torch;

namespace Coin.Plugins.Backbones;

/// <summary>The <c>llama</c> backbone: a LLaMA-architecture causal LM with its tokenizer and chat template.</summary>
/// <param name="sourceFolder">The Hugging Face folder the model was loaded from (its tokenizer files are exported
/// with it); null for a preset.</param>
internal sealed class LlamaBackbone(LlamaForCausalLM model, ITokenizer tokenizer, IChatTemplate chatTemplate, string? sourceFolder = null) : IBackbone, IHuggingFaceExport, IActivationMemory
{
    /// <summary>The tokenizer files of a Hugging Face folder, copied into an exported one.</summary>
    private static readonly string[] TokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model", "generation_config.json"];

    public string? ExportRefusal => sourceFolder is null
        ? "a preset's tokenizer (words or bytes) is Coin's own and has no tokenizer.json: export a backbone loaded from a Hugging Face folder (options.path)"
        : null;

    public void SaveHuggingFace(string folder)
    {
        if (ExportRefusal is { } why) throw new Abstractions.Plugins.CoinOptionException(null, why);
        HuggingFaceCheckpoint.Save(model, folder);
        foreach (string file in TokenizerFiles.Where(f => File.Exists(System.IO.Path.Combine(sourceFolder!, f))))
            File.Copy(System.IO.Path.Combine(sourceFolder!, file), System.IO.Path.Combine(folder, file), overwrite: true);
        HuggingFaceConfig.CompleteExport(sourceFolder!, folder);
    }

    public nn.Module Module => model;
    public LlamaForCausalLM Model => model;
    public int HiddenSize => model.Config.HiddenSize;
    public ITokenizer Tokenizer => tokenizer;
    public IChatTemplate ChatTemplate => chatTemplate;

    public Tensor Embed(Tensor inputIds) => model.Embed(inputIds);

    public Tensor Forward(Tensor inputEmbeddings, Tensor attentionMask, IKeyValueCache? cache = null)
    {
        if (cache is not null and not KeyValueCache)
            throw new ArgumentException($"cache was created by another backbone ({cache.GetType().Name})");
        // Refused before anything is allocated: a 1 MB question is 250,000 positions, and attention over them asks
        // libtorch for tens of GB. Dynamic NTK scaling is made to run past the configured context, so it may.
        long positions = attentionMask.shape[1];
        if (positions > model.Config.MaxPositionEmbeddings && model.Config.Rope?.Type != "dynamic")
            throw new Abstractions.Plugins.CoinOptionException(null,
                $"a sequence of {positions:N0} positions is longer than the model's context (max_position_embeddings " +
                $"{model.Config.MaxPositionEmbeddings:N0}); shorten the sample's question or answer, or use a model with a longer context");
        return model.Forward(inputEmbeddings, attentionMask, (KeyValueCache?)cache);
    }

    public long TrainingActivationBytes(int batch, int tokens, bool checkpointing)
        => LlamaActivations.TrainingBytes(model, batch, tokens, checkpointing);

    public long GenerationBytes(int batch, int tokens) => LlamaActivations.GenerationBytes(model, batch, tokens);

    public IKeyValueCache CreateCache() => new KeyValueCache(model.Config.NumHiddenLayers);

    public void Dispose() => model.Dispose();
}
