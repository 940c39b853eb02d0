using Coin.Nn.Layers;
using static TorchSharp.torch;

namespace Coin.Plugins.Backbones.Llama;

/// <summary>Decoder + LM head. With this field layout <c>state_dict()</c> keys equal Hugging Face's
/// (<c>model.layers.0.self_attn.q_proj.weight</c>, <c>lm_head.weight</c>). With tied embeddings there is no
/// <c>lm_head</c> module: the logits use the embedding matrix itself, so the shared weight is one parameter (listed
/// once, updated once per step) and, as in HF's tied checkpoints, is stored once.</summary>
internal sealed class LlamaForCausalLM : nn.Module
{
    private readonly LlamaModel model;
    private readonly AutocastLinear? lm_head;

    /// <param name="deferred">Build the embeddings and every linear layer without storage (the meta device), for
    /// <see cref="HuggingFaceCheckpoint"/> to fill from a folder in the type each is kept in; not initialised.</param>
    public LlamaForCausalLM(LlamaConfig config, bool deferred = false) : base(nameof(LlamaForCausalLM))
    {
        config.Validate();
        Config = config;
        using (deferred ? AutocastLinear.BuildDeferred() : null)
        {
            model = new LlamaModel(config, deferred);
            if (!config.TieWordEmbeddings) lm_head = new AutocastLinear(config.HiddenSize, config.VocabSize, hasBias: false);
        }
        RegisterComponents();
        if (!deferred) InitialiseWeights();
    }

    public LlamaConfig Config { get; }

    /// <summary>Token embeddings in float32, whatever type the table is stored in.</summary>
    public Tensor Embed(Tensor inputIds)
    {
        var embedded = model.EmbedTokens.call(inputIds);
        return embedded.dtype == ScalarType.Float32 ? embedded : embedded.to_type(ScalarType.Float32);
    }

    /// <returns>Logits [batch, tokens, vocab] in float32.</returns>
    public Tensor Forward(Tensor embeddings, Tensor attentionMask, KeyValueCache? cache)
    {
        var hidden = model.Forward(embeddings, attentionMask, cache);
        // The vocabulary projection follows the compute precision; the softmax and loss after it need float32 logits.
        var logits = lm_head is null ? AutocastLinear.Compute(hidden, model.EmbedTokens.weight!, null) : lm_head.call(hidden);
        return logits.to_type(ScalarType.Float32);
    }

    /// <summary>HF LLaMA's initialisation: normal(0, initializer_range) for linear and embedding weights.</summary>
    private void InitialiseWeights()
    {
        using var noGrad = no_grad();
        foreach (var (name, parameter) in named_parameters())
            if (!name.EndsWith("layernorm.weight") && name != "model.norm.weight")
                nn.init.normal_(parameter, 0, Config.InitializerRange);
    }
}
