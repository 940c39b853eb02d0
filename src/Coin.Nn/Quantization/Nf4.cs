using static TorchSharp.torch;

namespace Coin.Nn.Quantization;

/// <summary>4-bit NormalFloat (QLoRA, Dettmers et al. 2023), as bitsandbytes stores it: the flattened weight in blocks
/// of 64, each scaled by the inverse of its absolute maximum and mapped to the nearest of 16 code values; two codes a
/// byte, the first element in the high nibble; one float32 absmax per block (no double quantisation).</summary>
public static class Nf4
{
    public const int BlockSize = 64;

    /// <summary>bitsandbytes' NF4 code values (<c>get_4bit_type("nf4")</c>), as float32.</summary>
    public static readonly float[] Codes =
    [
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f, -0.28444138169288635f, -0.18477343022823334f,
        -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    ];

    /// <summary>The decision thresholds of bitsandbytes' <c>dQuantizeNF4</c>: the float32 midpoints between
    /// neighbouring codes (its literals equal them when read as float32); a value's code is the number of thresholds
    /// it is strictly greater than, so a value on a midpoint takes the lower code.</summary>
    public static readonly float[] Thresholds = Enumerable.Range(0, Codes.Length - 1).Select(i => (Codes[i] + Codes[i + 1]) / 2f).ToArray();

    /// <summary>Blocks handled at once, so that a 45M-element weight never has a float32 and an int64 copy at once.</summary>
    private const long ChunkBlocks = 1 << 16;

    /// <summary>Quantises <paramref name="weight"/> (any float type, any shape).</summary>
    /// <returns>Packed codes (uint8, ⌈n/2⌉ rounded up to whole blocks) and absmax per block (float32).</returns>
    public static (Tensor Packed, Tensor Absmax) Quantize(Tensor weight)
    {
        long n = weight.numel(), blocks = (n + BlockSize - 1) / BlockSize;
        var packed = empty(blocks * BlockSize / 2, ScalarType.Byte, device: weight.device);
        var absmax = empty(blocks, ScalarType.Float32, device: weight.device);
        using var flat = weight.reshape(-1);
        using var thresholds = tensor(Thresholds, device: weight.device);
        for (long first = 0; first < blocks; first += ChunkBlocks)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(ChunkBlocks, blocks - first);
            long begin = first * BlockSize, length = Math.Min(count * BlockSize, n - begin);
            var values = flat.narrow(0, begin, length).to_type(ScalarType.Float32);
            // The last block is padded with zeros, which quantise to the zero code.
            if (length < count * BlockSize) values = nn.functional.pad(values, [0, count * BlockSize - length]);
            var grid = values.view(count, BlockSize);
            var max = grid.abs().amax([1]);
            // bitsandbytes multiplies by the reciprocal (1/absmax) rather than dividing; an all-zero block maps to 0.
            var inverse = where(max.eq(0), zeros_like(max), max.reciprocal());
            var codes = bucketize(grid * inverse.unsqueeze(1), thresholds).to_type(ScalarType.Byte).view(-1, 2);
            var pairs = codes.select(1, 0).bitwise_left_shift(4).bitwise_or(codes.select(1, 1));
            packed.narrow(0, first * BlockSize / 2, count * BlockSize / 2).copy_(pairs);
            absmax.narrow(0, first, count).copy_(max);
        }
        return (packed, absmax);
    }

    /// <summary>The weight back, <c>code value × absmax</c> in float32, then cast to <paramref name="type"/>.</summary>
    public static Tensor Dequantize(Tensor packed, Tensor absmax, long[] shape, ScalarType type, Tensor? output = null)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b), blocks = absmax.shape[0];
        // The result is created in its final shape and filled through a flat view: returning a view of a flat result
        // would leave the flat handle in the caller's dispose scope, keeping every dequantised weight of a layer (and
        // of its recomputation and backward pass) alive until that scope ends.
        output ??= empty(shape, type, device: packed.device);
        using var flat = output.view(-1);
        using var table = tensor(Codes, device: packed.device);
        // Blocks a piece so that each temporary stays under 512 KiB (see Int8Absmax.Dequantize: below the compact
        // allocator's mmap threshold, so pieces reuse freed heap memory instead of fresh pages).
        const long piece = Int8Absmax.DequantizePieceElements / BlockSize;
        for (long first = 0; first < blocks; first += piece)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(piece, blocks - first);
            long begin = first * BlockSize, length = Math.Min(count * BlockSize, n - begin);
            var bytes = packed.narrow(0, first * BlockSize / 2, count * BlockSize / 2);
            var codes = stack([bytes.bitwise_right_shift(4), bytes.bitwise_and(15)], 1).view(-1).to_type(ScalarType.Int32);
            var values = table.index_select(0, codes).view(count, BlockSize) * absmax.narrow(0, first, count).unsqueeze(1);
            flat.narrow(0, begin, length).copy_(values.view(-1).narrow(0, 0, length));
        }
        return output;
    }
}
