using static TorchSharp.torch;

namespace Coin.Plugins.Backbones.Llama;

/// <summary>Rotary position embedding in Hugging Face's layout (rotate_half over the two halves of a head).</summary>
/// <remarks>Not a registered module: TorchSharp registers tensor fields as buffers and <c>.to()</c> mishandles
/// shared or non-persistent ones, so the tables are computed per call from the position ids (cheap).</remarks>
public static class RotaryEmbedding
{
    /// <summary>cos and sin tables [batch, 1, tokens, headDim] for position ids [batch, tokens].</summary>
    public static (Tensor Cos, Tensor Sin) Tables(Tensor positionIds, int headDim, double theta, ScalarType dtype)
    {
        var exponents = arange(0, headDim, 2, dtype: ScalarType.Float32, device: positionIds.device) / headDim;
        var inverseFrequencies = pow(theta, exponents).reciprocal();
        var angles = positionIds.to_type(ScalarType.Float32).unsqueeze(-1) * inverseFrequencies;
        var full = cat([angles, angles], dim: -1).unsqueeze(1);
        return (full.cos().to_type(dtype), full.sin().to_type(dtype));
    }

    /// <summary>Applies the rotation to x [batch, heads, tokens, headDim].</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        long half = x.shape[^1] / 2;
        var first = x.narrow(-1, 0, half);
        var second = x.narrow(-1, half, half);
        var rotated = cat([-second, first], dim: -1);
        return x * cos + rotated * sin;
    }
}
