using static TorchSharp.torch;

namespace Coin.Nn.Quantization;

/// <summary>A frozen [out, in] weight held quantised: int8 codes with one absmax per row, or packed NF4 codes with
/// one absmax per block of 64. Owns its tensors (outside every dispose scope).</summary>
public sealed class QuantizedWeight : IDisposable
{
    private Tensor codes, absmax;

    private QuantizedWeight(FrozenWeights format, Tensor codes, Tensor absmax, long[] shape)
    {
        Format = format;
        this.codes = codes.DetachFromDisposeScope();
        this.absmax = absmax.DetachFromDisposeScope();
        Shape = shape;
    }

    public FrozenWeights Format { get; }
    public long[] Shape { get; }
    public Device Device => codes.device;

    /// <summary>Bytes held (codes and scales).</summary>
    public long Bytes => codes.numel() * codes.ElementSize + absmax.numel() * absmax.ElementSize;

    public static QuantizedWeight From(Tensor weight, FrozenWeights format)
    {
        using var noGrad = no_grad();
        var (codes, absmax) = format switch
        {
            FrozenWeights.Int8 => Int8Absmax.Quantize(weight),
            FrozenWeights.Nf4 => Nf4.Quantize(weight),
            _ => throw new ArgumentException($"{format.Name()} is not a quantised format", nameof(format)),
        };
        return new QuantizedWeight(format, codes, absmax, weight.shape);
    }

    /// <summary>The stored tensors of a weight of this shape without their values (for the meta device).</summary>
    public static QuantizedWeight Empty(long[] shape, FrozenWeights format, Device device)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b), blocks = (n + Nf4.BlockSize - 1) / Nf4.BlockSize;
        return format switch
        {
            FrozenWeights.Int8 => new(format, empty(shape, ScalarType.Int8, device: device), empty(shape[0], ScalarType.Float32, device: device), shape),
            FrozenWeights.Nf4 => new(format, empty(blocks * Nf4.BlockSize / 2, ScalarType.Byte, device: device), empty(blocks, ScalarType.Float32, device: device), shape),
            _ => throw new ArgumentException($"{format.Name()} is not a quantised format", nameof(format)),
        };
    }

    /// <summary>The weight dequantised into a new tensor of <paramref name="type"/> (the caller owns it), or into
    /// <paramref name="output"/> (its shape, of that type).</summary>
    public Tensor Dequantize(ScalarType type, Tensor? output = null)
    {
        using var noGrad = no_grad();
        return Format == FrozenWeights.Int8 ? Int8Absmax.Dequantize(codes, absmax, type, output) : Nf4.Dequantize(codes, absmax, Shape, type, output);
    }

    /// <summary>The stored tensors, for tests and memory figures.</summary>
    public (Tensor Codes, Tensor Absmax) Stored => (codes, absmax);

    public void MoveTo(Device device)
    {
        if (codes.device == device) return;
        var (newCodes, newAbsmax) = (codes.to(device).DetachFromDisposeScope(), absmax.to(device).DetachFromDisposeScope());
        codes.Dispose();
        absmax.Dispose();
        (codes, absmax) = (newCodes, newAbsmax);
    }

    public void Dispose()
    {
        codes.Dispose();
        absmax.Dispose();
    }
}
