using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Plugins.Backbones.Llama;

/// <summary>Decoder + LM head. With this field layout <c>state_dict()</c> keys equal Hugging Face's
/// (<c>model.layers.0.self_attn.q_proj.weight</c>, <c>lm_head.weight</c>).</summary>
public sealed class LlamaForCausalLM : nn.Module
{
    private readonly LlamaModel model;
    private readonly Linear lm_head;

    public LlamaForCausalLM(LlamaConfig config) : base(nameof(LlamaForCausalLM))
    {
        config.Validate();
        Config = config;
        model = new LlamaModel(config);
        lm_head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
        if (config.TieWordEmbeddings) lm_head.weight = model.EmbedTokens.weight!;
        RegisterComponents();
        InitialiseWeights();
    }

    public LlamaConfig Config { get; }

    public Tensor Embed(Tensor inputIds) => model.EmbedTokens.call(inputIds);

    /// <returns>Logits [batch, tokens, vocab] in float32.</returns>
    public Tensor Forward(Tensor embeddings, Tensor attentionMask, KeyValueCache? cache)
        => lm_head.call(model.Forward(embeddings, attentionMask, cache)).to_type(ScalarType.Float32);

    /// <summary>HF LLaMA's initialisation: normal(0, initializer_range) for linear and embedding weights.</summary>
    private void InitialiseWeights()
    {
        using var noGrad = no_grad();
        foreach (var (name, parameter) in named_parameters())
            if (!name.EndsWith("layernorm.weight") && name != "model.norm.weight")
                nn.init.normal_(parameter, 0, Config.InitializerRange);
    }
}
