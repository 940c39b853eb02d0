using static TorchSharp.torch;

namespace Coin.Nn.Layers;

/// <summary>Rotary embedding frequencies as Hugging Face's <c>modeling_rope_utils</c> computes them, for the types
/// we run: <c>default</c>, <c>linear</c>, <c>dynamic</c> (NTK), <c>llama3</c> and <c>yarn</c>. The same float32
/// operations in the same order as transformers, so the tables agree to the last bits, not only to rounding.</summary>
/// <param name="Type">The <c>rope_type</c> (or legacy <c>type</c>).</param>
/// <param name="Factor">The scaling factor; yarn without one takes max_position_embeddings / original.</param>
/// <param name="OriginalMaxPositionEmbeddings">llama3's and yarn's pre-training context; yarn defaults it to
/// max_position_embeddings.</param>
/// <param name="Truncate">yarn: round the correction range outwards to whole dimensions (transformers' default).</param>
public sealed record RopeScaling(
    string Type,
    double? Factor = null,
    double? LowFreqFactor = null,
    double? HighFreqFactor = null,
    int? OriginalMaxPositionEmbeddings = null,
    double? AttentionFactor = null,
    double? BetaFast = null,
    double? BetaSlow = null,
    double? Mscale = null,
    double? MscaleAllDim = null,
    bool Truncate = true)
{
    public static readonly RopeScaling Default = new("default");

    public static readonly IReadOnlyList<string> Types = ["default", "linear", "dynamic", "llama3", "yarn"];

    /// <summary>Keys each type reads from <c>rope_scaling</c> / <c>rope_parameters</c> (besides the type itself).</summary>
    public static readonly IReadOnlyDictionary<string, string[]> KeysOf = new Dictionary<string, string[]>
    {
        ["default"] = [],
        ["linear"] = ["factor"],
        ["dynamic"] = ["factor"],
        ["llama3"] = ["factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"],
        ["yarn"] = ["factor", "original_max_position_embeddings", "attention_factor", "beta_fast", "beta_slow", "mscale", "mscale_all_dim", "truncate"],
    };

    /// <summary>Whether the frequencies depend on the pass's longest position (dynamic NTK recomputes them beyond the
    /// pre-training context).</summary>
    public bool DependsOnLength => Type == "dynamic";

    /// <summary>Inverse frequencies [headDim / 2] float32 and the factor cos and sin are multiplied by.</summary>
    /// <param name="length">The pass's longest position + 1 (used by <c>dynamic</c> only).</param>
    public (Tensor InverseFrequencies, double AttentionFactor) Frequencies(int headDim, double theta, int maxPositionEmbeddings, long length, Device device)
    {
        switch (Type)
        {
            case "default":
                return (DefaultFrequencies(headDim, theta, device), 1.0);
            case "linear":
                return (DefaultFrequencies(headDim, theta, device) / Factor!.Value, 1.0);
            case "dynamic":
            {
                // seq_len below the context leaves the base unchanged: factor·1 − (factor − 1) = 1.
                double factor = Factor!.Value, sequence = Math.Max(length, maxPositionEmbeddings);
                double baseScaled = theta * Math.Pow(factor * sequence / maxPositionEmbeddings - (factor - 1), headDim / (headDim - 2.0));
                return (DefaultFrequencies(headDim, baseScaled, device), 1.0);
            }
            case "llama3":
                return (Llama3(DefaultFrequencies(headDim, theta, device)), 1.0);
            case "yarn":
                return Yarn(headDim, theta, maxPositionEmbeddings, device);
            default:
                throw new InvalidOperationException($"rope type '{Type}' is not implemented");
        }
    }

    /// <summary>1 / θ^(2i/d), i = 0 … d/2 − 1, as <c>_compute_default_rope_parameters</c>.</summary>
    private static Tensor DefaultFrequencies(int headDim, double theta, Device device)
    {
        var exponents = arange(0, headDim, 2, dtype: ScalarType.Int64, device: device).to_type(ScalarType.Float32) / headDim;
        return 1.0 / pow(theta, exponents);
    }

    /// <summary>Llama 3.1: long wavelengths divided by the factor, short ones kept, a smooth blend between.</summary>
    private Tensor Llama3(Tensor inverse)
    {
        double factor = Factor!.Value, low = LowFreqFactor!.Value, high = HighFreqFactor!.Value;
        double context = OriginalMaxPositionEmbeddings!.Value;
        double lowFrequencyWavelength = context / low, highFrequencyWavelength = context / high;
        var wavelength = 2 * Math.PI / inverse;
        var scaled = where(wavelength.gt(lowFrequencyWavelength), inverse / factor, inverse);
        var smooth = (context / wavelength - low) / (high - low);
        var smoothed = (1 - smooth) * scaled / factor + smooth * scaled;
        var medium = wavelength.lt(highFrequencyWavelength).logical_not().logical_and(wavelength.gt(lowFrequencyWavelength).logical_not());
        return where(medium, smoothed, scaled);
    }

    /// <summary>YaRN: interpolated and extrapolated frequencies blended by a linear ramp over the dimensions whose
    /// rotations in the original context fall between β_slow and β_fast, and an attention factor (0.1 ln s + 1).</summary>
    private (Tensor, double) Yarn(int headDim, double theta, int maxPositionEmbeddings, Device device)
    {
        int original = OriginalMaxPositionEmbeddings ?? maxPositionEmbeddings;
        double factor = Factor ?? (double)maxPositionEmbeddings / original;
        static double MscaleOf(double scale, double mscale = 1) => scale <= 1 ? 1.0 : 0.1 * mscale * Math.Log(scale) + 1.0;
        double attention = AttentionFactor ?? (Mscale is { } m && m != 0 && MscaleAllDim is { } all && all != 0
            ? MscaleOf(factor, m) / MscaleOf(factor, all)
            : MscaleOf(factor));
        double fast = BetaFast is { } bf && bf != 0 ? bf : 32, slow = BetaSlow is { } bs && bs != 0 ? bs : 1;

        double CorrectionDimension(double rotations) => headDim * Math.Log(original / (rotations * 2 * Math.PI)) / (2 * Math.Log(theta));
        double low = CorrectionDimension(fast), high = CorrectionDimension(slow);
        if (Truncate) (low, high) = (Math.Floor(low), Math.Ceiling(high));
        (low, high) = (Math.Max(low, 0), Math.Min(high, headDim - 1));
        if (low == high) high += 0.001; // transformers' guard against a zero-width ramp

        var positionFrequencies = pow(theta, arange(0, headDim, 2, dtype: ScalarType.Int64, device: device).to_type(ScalarType.Float32) / headDim);
        var extrapolation = 1.0 / positionFrequencies;
        var interpolation = 1.0 / (factor * positionFrequencies);
        var ramp = ((arange(0, headDim / 2, dtype: ScalarType.Float32, device: device) - low) / (high - low)).clamp(0, 1);
        var extrapolationFactor = 1 - ramp;
        return (interpolation * (1 - extrapolationFactor) + extrapolation * extrapolationFactor, attention);
    }
}
