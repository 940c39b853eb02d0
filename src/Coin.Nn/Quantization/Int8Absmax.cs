using static TorchSharp.torch;

namespace Coin.Nn.Quantization;

/// <summary>8-bit absmax quantisation per output channel (one scale per row of a [out, in] weight), as
/// bitsandbytes' vector-wise int8 stores a weight (its default backend's float32 operation order, so that a reference
/// written from it agrees bit for bit): <c>q = rint(w · (127 / absmax_row))</c>, half to even; back as
/// <c>(q · absmax_row) · (1/127)</c>.</summary>
public static class Int8Absmax
{
    private const long ChunkRows = 4096;

    /// <summary>bitsandbytes' dequantisation constant, float32(1 / 127).</summary>
    private const float OneOver127 = 7.874015718698502e-3f;

    /// <returns>Codes (int8, the weight's shape) and absmax per row (float32 [out]).</returns>
    public static (Tensor Codes, Tensor Absmax) Quantize(Tensor weight)
    {
        if (weight.dim() != 2) throw new ArgumentException($"int8 quantisation needs a [out, in] weight, not [{string.Join(", ", weight.shape)}]", nameof(weight));
        long rows = weight.shape[0];
        var codes = empty(weight.shape, ScalarType.Int8, device: weight.device);
        var absmax = empty(rows, ScalarType.Float32, device: weight.device);
        for (long first = 0; first < rows; first += ChunkRows)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(ChunkRows, rows - first);
            var values = weight.narrow(0, first, count).to_type(ScalarType.Float32);
            var max = values.abs().amax([1]);
            // 127 / absmax, then a product, as bitsandbytes computes it; an all-zero row maps to 0.
            var factor = where(max.eq(0), zeros_like(max), full_like(max, 127f).div(max));
            codes.narrow(0, first, count).copy_((values * factor.unsqueeze(1)).round().clamp(-127, 127).to_type(ScalarType.Int8));
            absmax.narrow(0, first, count).copy_(max);
        }
        return (codes, absmax);
    }

    public static Tensor Dequantize(Tensor codes, Tensor absmax, ScalarType type, Tensor? output = null)
    {
        long rows = codes.shape[0], columns = codes.shape[1];
        output ??= empty(codes.shape, type, device: codes.device);
        // Rows a piece so that each float32 temporary stays under 512 KiB: below the mmap threshold the compact
        // allocator sets for large models, so they reuse freed heap memory instead of a fresh mapping per piece (whose
        // pages the kernel zeroes: half the CPU time of a 7B forward went there with 64 MiB pieces).
        long piece = Math.Clamp(DequantizePieceElements / Math.Max(1, columns), 1, ChunkRows);
        for (long first = 0; first < rows; first += piece)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(piece, rows - first);
            var values = codes.narrow(0, first, count).to_type(ScalarType.Float32) * absmax.narrow(0, first, count).unsqueeze(1) * OneOver127;
            output.narrow(0, first, count).copy_(values);
        }
        return output;
    }

    /// <summary>Float32 elements a dequantisation temporary holds at most (512 KiB).</summary>
    internal const long DequantizePieceElements = 1 << 17;
}
