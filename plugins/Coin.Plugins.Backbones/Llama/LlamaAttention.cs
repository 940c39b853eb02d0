using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Coin.Plugins.Backbones.Llama;

/// <summary>Grouped-query self-attention with rotary embeddings; parameter names follow HF (q_proj, k_proj, v_proj, o_proj).</summary>
public sealed class LlamaAttention : nn.Module
{
    private readonly Linear q_proj, k_proj, v_proj, o_proj;
    private readonly LlamaConfig config;

    public LlamaAttention(LlamaConfig config) : base(nameof(LlamaAttention))
    {
        this.config = config;
        int kvWidth = config.NumKeyValueHeads * config.HeadDim;
        // Qwen2 has biases on q, k and v; LLaMA has none.
        q_proj = nn.Linear(config.HiddenSize, config.NumAttentionHeads * config.HeadDim, hasBias: config.AttentionBias);
        k_proj = nn.Linear(config.HiddenSize, kvWidth, hasBias: config.AttentionBias);
        v_proj = nn.Linear(config.HiddenSize, kvWidth, hasBias: config.AttentionBias);
        o_proj = nn.Linear(config.NumAttentionHeads * config.HeadDim, config.HiddenSize, hasBias: false);
        RegisterComponents();
    }

    /// <param name="x">[batch, tokens, hidden].</param>
    /// <param name="cos">Rotary table [batch, 1, tokens, headDim].</param>
    /// <param name="sin">Rotary table [batch, 1, tokens, headDim].</param>
    /// <param name="additiveMask">[batch, 1, tokens, past + tokens], 0 where allowed and a large negative elsewhere.</param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor additiveMask, KeyValueCache? cache, int layerIndex)
    {
        long batch = x.shape[0], tokens = x.shape[1];
        int headDim = config.HeadDim;
        var q = q_proj.call(x).view(batch, tokens, config.NumAttentionHeads, headDim).transpose(1, 2);
        var k = k_proj.call(x).view(batch, tokens, config.NumKeyValueHeads, headDim).transpose(1, 2);
        var v = v_proj.call(x).view(batch, tokens, config.NumKeyValueHeads, headDim).transpose(1, 2);
        q = RotaryEmbedding.Apply(q, cos, sin);
        k = RotaryEmbedding.Apply(k, cos, sin);
        if (cache is not null) (k, v) = cache.Append(layerIndex, k, v);

        // TorchSharp's SDPA has no enable_gqa: repeat each key/value head for its group of query heads.
        int groups = config.NumAttentionHeads / config.NumKeyValueHeads;
        if (groups > 1)
        {
            k = k.repeat_interleave(groups, dim: 1);
            v = v.repeat_interleave(groups, dim: 1);
        }
        var attended = F.scaled_dot_product_attention(q, k, v, additiveMask.to_type(q.dtype));
        return o_proj.call(attended.transpose(1, 2).reshape(batch, tokens, -1));
    }
}
