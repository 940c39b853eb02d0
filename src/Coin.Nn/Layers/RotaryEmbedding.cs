using static TorchSharp.torch;

namespace Coin.Nn.Layers;

/// <summary>Rotary position embedding in Hugging Face's layout (rotate_half over the two halves of a head); the
/// frequencies come from <see cref="RopeScaling"/>.</summary>
/// <remarks>Not a registered module: TorchSharp registers tensor fields as buffers and <c>.to()</c> mishandles
/// shared or non-persistent ones, so the tables are computed per call from the position ids (cheap).</remarks>
public static class RotaryEmbedding
{
    /// <summary>cos and sin tables [batch, 1, tokens, headDim] for position ids [batch, tokens], with the model's
    /// frequency scaling (and its attention factor, which multiplies both tables, as transformers does).</summary>
    /// <param name="rope">The model's scaling; null is the default (none).</param>
    /// <param name="theta">rope_theta, the base of the frequencies.</param>
    /// <param name="maxPositionEmbeddings">The model's context length (dynamic NTK and yarn read it).</param>
    public static (Tensor Cos, Tensor Sin) Tables(Tensor positionIds, RopeScaling? rope, int headDim, double theta, int maxPositionEmbeddings, ScalarType dtype)
    {
        rope ??= RopeScaling.Default;
        // Dynamic NTK follows the pass's longest position: one host read per forward pass, for that type only.
        long length = rope.DependsOnLength ? positionIds.max().item<long>() + 1 : 0;
        var (inverseFrequencies, attentionFactor) = rope.Frequencies(headDim, theta, maxPositionEmbeddings, length, positionIds.device);
        var angles = positionIds.to_type(ScalarType.Float32).unsqueeze(-1) * inverseFrequencies;
        var full = cat([angles, angles], dim: -1).unsqueeze(1);
        var (cos, sin) = (full.cos(), full.sin());
        if (attentionFactor != 1.0) (cos, sin) = (cos * attentionFactor, sin * attentionFactor);
        return (cos.to_type(dtype), sin.to_type(dtype));
    }

    /// <summary>Applies the rotation to x [batch, heads, tokens, headDim].</summary>
    /// <remarks>The intermediates are freed at once rather than at the end of the step: none is saved for the backward
    /// pass (the products save only the tables), and they are 3.5 times q's and k's width a layer.</remarks>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        long half = x.shape[^1] / 2;
        using var first = x.narrow(-1, 0, half);
        using var second = x.narrow(-1, half, half);
        using var negated = -second;
        using var rotated = cat([negated, first], dim: -1);
        using var straight = x * cos;
        using var turned = rotated * sin;
        return straight + turned;
    }
}
