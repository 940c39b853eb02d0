using static TorchSharp.torch;

namespace Coin.Nn.Layers;

/// <summary>Which keys each query of one forward pass may see, built once per pass and shared by every layer.</summary>
/// <remarks>When no cache is in use and every row is padded on the right (training batches, or no padding at all),
/// causality alone is exact for every real query — padding keys always lie in a real query's future — so attention
/// runs with <c>is_causal</c> and no mask tensor (a GPU build can then use its flash kernel). Padding queries then see
/// other padding, not nothing; their outputs are never used (their labels are ignored).</remarks>
public sealed class AttentionBias
{
    private readonly Tensor attentionMask;
    private readonly long tokens, past;
    private readonly int? window;
    private Tensor? padded;
    private (int Groups, Tensor Bias)? grouped;

    /// <param name="attentionMask">[batch, past + tokens] int64, 1 = real.</param>
    /// <param name="window">Sliding-window attention: a query sees the keys less than this many positions back
    /// (itself included), as transformers' sliding_window_overlay (kv_idx &gt; q_idx − window).</param>
    public AttentionBias(Tensor attentionMask, long tokens, bool cached, int? window = null)
    {
        this.attentionMask = attentionMask;
        this.tokens = tokens;
        past = attentionMask.shape[1] - tokens;
        // A window longer than the whole sequence never hides a key.
        this.window = window is { } w && w < past + tokens ? w : null;
        CausalOnly = !cached && this.window is null && IsRightPadded(attentionMask);
    }

    /// <summary>True when <c>is_causal</c> alone gives every real query the keys it may see.</summary>
    public bool CausalOnly { get; }

    /// <summary>[batch, 1, tokens, past + tokens]: 0 where allowed, a large negative elsewhere (finite, so a padding
    /// query that sees nothing stays finite).</summary>
    public Tensor Additive => padded ??= CausalPaddingMask();

    /// <summary>The bias for queries laid out as <paramref name="groups"/> blocks of the pass's tokens (the query heads
    /// that share one key/value head, side by side): each block sees what its token sees.</summary>
    public Tensor ForGroups(int groups)
    {
        if (grouped is { } g && g.Groups == groups) return g.Bias;
        var bias = CausalOnly ? AdditiveFrom(Causal()).repeat(groups, 1) : Additive.repeat(1, 1, groups, 1);
        grouped = (groups, bias);
        return bias;
    }

    /// <summary>Builds now the tensors the layers will ask for with <paramref name="groups"/> query heads per key/value
    /// head, so that they belong to the pass's dispose scope and not to the scope of the first layer that asks (a
    /// layer's own scope frees its tensors when it ends: inference, activation checkpointing).</summary>
    public AttentionBias Prepare(int groups)
    {
        if (groups > 1) ForGroups(groups);
        else if (!CausalOnly) _ = Additive;
        return this;
    }

    private static bool IsRightPadded(Tensor mask)
    {
        long width = mask.shape[1];
        if (width < 2) return true;
        // One host read per forward pass (none during cached decoding): a real token after a padding one means left
        // or inner padding, which causality alone would not hide.
        return mask.narrow(1, 1, width - 1).le(mask.narrow(1, 0, width - 1)).all().item<bool>();
    }

    /// <summary>[tokens, past + tokens] bool: query i may see key j when j is not in its future (nor, with a window,
    /// too far in its past).</summary>
    private Tensor Causal()
    {
        var device = attentionMask.device;
        var queryPositions = arange(past, past + tokens, device: device).unsqueeze(1);
        var keyPositions = arange(0, past + tokens, device: device).unsqueeze(0);
        var allowed = keyPositions.le(queryPositions);
        return window is { } w ? allowed.logical_and(keyPositions.gt(queryPositions - w)) : allowed;
    }

    private Tensor CausalPaddingMask()
    {
        var allowed = Causal().unsqueeze(0) & attentionMask.to_type(ScalarType.Bool).unsqueeze(1);
        return AdditiveFrom(allowed).unsqueeze(1);
    }

    private static Tensor AdditiveFrom(Tensor allowed)
        => zeros(allowed.shape, dtype: ScalarType.Float32, device: allowed.device).masked_fill(allowed.logical_not(), -1e9f);
}
