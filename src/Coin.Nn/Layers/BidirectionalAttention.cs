using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Coin.Nn.Layers;

/// <summary>Unmasked multi-head self-attention with the parameter names CLIP and Whisper share in Hugging Face
/// (q_proj, k_proj, v_proj, out_proj). [n, tokens, width] to [n, tokens, width].</summary>
public sealed class BidirectionalAttention : nn.Module<Tensor, Tensor>
{
    private readonly AutocastLinear q_proj, k_proj, v_proj, out_proj;
    private readonly int heads;

    /// <param name="width">Model width, divisible by <paramref name="heads"/>.</param>
    /// <param name="heads">Attention heads.</param>
    /// <param name="keyBias">Whether the key projection has a bias (Whisper's has none).</param>
    public BidirectionalAttention(int width, int heads, bool keyBias = true) : base(nameof(BidirectionalAttention))
    {
        this.heads = heads;
        q_proj = new AutocastLinear(width, width);
        k_proj = new AutocastLinear(width, width, hasBias: keyBias);
        v_proj = new AutocastLinear(width, width);
        out_proj = new AutocastLinear(width, width);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        long n = x.shape[0], tokens = x.shape[1], width = x.shape[2];
        var compute = AttentionPrecision.For(x.device, x.dtype);
        Tensor Heads(Tensor t) => t.view(n, tokens, heads, width / heads).transpose(1, 2).to_type(compute);
        var attended = F.scaled_dot_product_attention(Heads(q_proj.call(x)), Heads(k_proj.call(x)), Heads(v_proj.call(x)));
        return out_proj.call(attended.transpose(1, 2).reshape(n, tokens, width));
    }
}
