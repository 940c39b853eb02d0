using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Coin.Nn.Layers;

/// <summary>Grouped-query causal self-attention with rotary embeddings, as the LLaMA family (LLaMA, Mistral, Qwen2,
/// Vicuna) computes it; parameter names follow Hugging Face (q_proj, k_proj, v_proj, o_proj), so a checkpoint's
/// <c>self_attn</c> tensors load into it by name.</summary>
public sealed class GroupedQueryAttention : nn.Module
{
    private readonly AutocastLinear q_proj, k_proj, v_proj, o_proj;
    private readonly int heads, kvHeads, headDim;

    /// <param name="heads">Query heads; a multiple of <paramref name="kvHeads"/>.</param>
    /// <param name="projectionBias">Biases on q, k and v (Qwen2 always; LLaMA with <c>attention_bias</c>).</param>
    /// <param name="outputBias">A bias on o (LLaMA with <c>attention_bias</c>).</param>
    public GroupedQueryAttention(int hiddenSize, int heads, int kvHeads, int headDim, bool projectionBias, bool outputBias) : base(nameof(GroupedQueryAttention))
    {
        if (kvHeads <= 0 || heads % kvHeads != 0) throw new ArgumentException($"{heads} query heads do not divide into {kvHeads} key/value heads");
        (this.heads, this.kvHeads, this.headDim) = (heads, kvHeads, headDim);
        q_proj = new AutocastLinear(hiddenSize, heads * headDim, hasBias: projectionBias);
        k_proj = new AutocastLinear(hiddenSize, kvHeads * headDim, hasBias: projectionBias);
        v_proj = new AutocastLinear(hiddenSize, kvHeads * headDim, hasBias: projectionBias);
        o_proj = new AutocastLinear(heads * headDim, hiddenSize, hasBias: outputBias);
        RegisterComponents();
    }

    /// <param name="x">[batch, tokens, hidden].</param>
    /// <param name="cos">Rotary table [batch, 1, tokens, headDim].</param>
    /// <param name="sin">Rotary table [batch, 1, tokens, headDim].</param>
    /// <param name="bias">Which keys each query may see.</param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, AttentionBias bias, KeyValueCache? cache, int layerIndex)
    {
        long batch = x.shape[0], tokens = x.shape[1];
        var (qx, kx, vx) = Project(x);
        // The rotation runs in the tables' float32 (as HF's does under autocast); attention in the compute type on a
        // GPU, in float32 on a CPU (AttentionPrecision says why). The projections of q and k are dropped once rotated:
        // the rotation saves only its tables, so they would otherwise live to the end of the step.
        var compute = AttentionPrecision.For(x.device, ScalarType.Float32);
        Tensor q, k;
        using (qx)
        using (var unrotated = qx.view(batch, tokens, heads, headDim).transpose(1, 2))
            q = RotaryEmbedding.Apply(unrotated, cos, sin).to_type(compute);
        using (kx)
        using (var unrotated = kx.view(batch, tokens, kvHeads, headDim).transpose(1, 2))
            k = RotaryEmbedding.Apply(unrotated, cos, sin).to_type(compute);
        var v = vx.view(batch, tokens, kvHeads, headDim).transpose(1, 2).to_type(compute);
        if (cache is not null) (k, v) = cache.Append(layerIndex, k, v);

        int groups = heads / kvHeads;
        Tensor attended;
        if (groups == 1)
            attended = bias.CausalOnly
                ? F.scaled_dot_product_attention(q, k, v, is_casual: true)
                : F.scaled_dot_product_attention(q, k, v, bias.Additive.to_type(compute));
        else
        {
            // Grouped-query attention without copying key/value heads (TorchSharp's SDPA has no enable_gqa): the query
            // heads that share a key/value head are laid side by side as one longer block of queries against it.
            var grouped = q.reshape(batch, kvHeads, groups * tokens, headDim);
            // reshape, not view: some attention kernels return a transposed (non-contiguous) output.
            attended = F.scaled_dot_product_attention(grouped, k, v, bias.ForGroups(groups).to_type(compute))
                .reshape(batch, heads, tokens, headDim);
        }
        // The heads side by side (a copy) feed o_proj, which keeps no copy of its input: dropped once used.
        using var merged = attended.transpose(1, 2).reshape(batch, tokens, -1);
        return o_proj.call(merged);
    }

    private (Tensor Q, Tensor K, Tensor V) Project(Tensor x)
    {
        var qkv = AutocastLinear.Fused(x, q_proj, k_proj, v_proj);
        return (qkv[0], qkv[1], qkv[2]);
    }
}
