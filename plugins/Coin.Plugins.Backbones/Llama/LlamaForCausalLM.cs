using Coin.Nn.Layers;
using static TorchSharp.torch;

namespace Coin.Plugins.Backbones.Llama;

/// <summary>Decoder + LM head. With this field layout <c>state_dict()</c> keys equal Hugging Face's
/// (<c>model.layers.0.self_attn.q_proj.weight</c>, <c>lm_head.weight</c>). With tied embeddings there is no
/// <c>lm_head</c> module: the logits use the embedding matrix itself, so the shared weight is one parameter (listed
/// once, updated once per step) and, as in HF's tied checkpoints, is stored once.</summary>
public sealed class LlamaForCausalLM : nn.Module
{
    private readonly LlamaModel model;
    private readonly AutocastLinear? lm_head;

    public LlamaForCausalLM(LlamaConfig config) : base(nameof(LlamaForCausalLM))
    {
        config.Validate();
        Config = config;
        model = new LlamaModel(config);
        if (!config.TieWordEmbeddings) lm_head = new AutocastLinear(config.HiddenSize, config.VocabSize, hasBias: false);
        RegisterComponents();
        InitialiseWeights();
    }

    public LlamaConfig Config { get; }

    public Tensor Embed(Tensor inputIds) => model.EmbedTokens.call(inputIds);

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
