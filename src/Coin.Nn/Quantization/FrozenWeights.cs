namespace Coin.Nn.Quantization;

/// <summary>How a frozen linear weight is stored: <c>float32</c>, <c>bfloat16</c> (half the memory, exact for a
/// bfloat16 checkpoint), or quantised QLoRA-style to <c>int8</c> (per output row, absmax) or <c>nf4</c> (4-bit
/// NormalFloat, blocks of 64, bitsandbytes' code table). Products always run in the compute type: a stored weight is
/// cast or dequantised for each product, layer by layer, and never kept in that type.</summary>
public enum FrozenWeights
{
    Float32,
    BFloat16,
    Int8,
    Nf4,
}

public static class FrozenWeightsNames
{
    /// <summary>The configuration names, in the order of <see cref="FrozenWeights"/>.</summary>
    public static readonly IReadOnlyList<string> Names = ["float32", "bfloat16", "int8", "nf4"];

    public static bool TryParse(string name, out FrozenWeights format)
    {
        int index = Names.ToList().IndexOf(name);
        format = index < 0 ? default : (FrozenWeights)index;
        return index >= 0;
    }

    public static string Name(this FrozenWeights format) => Names[(int)format];

    public static bool IsQuantized(this FrozenWeights format) => format is FrozenWeights.Int8 or FrozenWeights.Nf4;

    /// <summary>Bytes per weight element as stored, scales included (for memory plans).</summary>
    public static double BytesPerElement(this FrozenWeights format) => format switch
    {
        FrozenWeights.Float32 => 4,
        FrozenWeights.BFloat16 => 2,
        // One byte per element plus one float32 scale per row (negligible for wide rows; counted by the plan per layer).
        FrozenWeights.Int8 => 1,
        // Half a byte per element plus one float32 absmax per 64 elements.
        FrozenWeights.Nf4 => 0.5 + 4.0 / Nf4.BlockSize,
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };
}
