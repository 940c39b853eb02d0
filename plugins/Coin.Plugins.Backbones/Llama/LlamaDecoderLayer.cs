using Coin.Nn.Layers;
using static TorchSharp.torch;

namespace Coin.Plugins.Backbones.Llama;

/// <summary>Pre-norm decoder block: x + attn(norm(x)), then + mlp(norm(x)).</summary>
internal sealed class LlamaDecoderLayer : nn.Module
{
    private readonly GroupedQueryAttention self_attn;
    private readonly LlamaMlp mlp;
    private readonly RmsNorm input_layernorm, post_attention_layernorm;

    public LlamaDecoderLayer(LlamaConfig config) : base(nameof(LlamaDecoderLayer))
    {
        self_attn = new GroupedQueryAttention(config.HiddenSize, config.NumAttentionHeads, config.NumKeyValueHeads, config.HeadDim,
            config.AttentionBias, config.OutputProjectionBias);
        mlp = new LlamaMlp(config);
        input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        RegisterComponents();
    }

    /// <remarks>The normalised inputs and the two branches' outputs are dropped once used: sums save no operand, and
    /// what a branch's own backward pass needs autograd keeps.</remarks>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, AttentionBias bias, KeyValueCache? cache, int layerIndex)
    {
        Tensor h;
        using (var normed = input_layernorm.call(x))
        using (var attended = self_attn.Forward(normed, cos, sin, bias, cache, layerIndex))
            h = x + attended;
        using var normedAgain = post_attention_layernorm.call(h);
        using var transformed = mlp.call(normedAgain);
        return h + transformed;
    }
}
