using static TorchSharp.torch;

namespace Coin.Nn.Layers;

/// <summary>One reusable destination per size for frozen weights converted per product (a bfloat16 base under
/// float32 compute): each product writes its layer's weight into the buffer of that size and uses it at once.</summary>
/// <remarks>A fresh tensor per product costs more than the cast: above glibc's mmap threshold (which a model that fills
/// the machine lowers to 1 MiB, <c>NativeAllocator</c>) every one is a new mapping whose pages the kernel zeroes on
/// first touch, and a 7B evaluation spent 31% of its CPU time in the kernel doing that for the 180 MB copies. A buffer
/// per distinct size (two for LLaMA-7B's linears: 4096² and 4096 × 11008) is held instead, on the thread that
/// computes; the memory plan counts them (<see cref="BytesFor"/>). Values are those of a fresh cast, bit for bit.</remarks>
public static class ConversionBuffers
{
    [ThreadStatic] private static Dictionary<(long Elements, ScalarType Type, TorchSharp.DeviceType Device, int Index), Tensor>? buffers;

    /// <summary>A view of this thread's buffer for <paramref name="shape"/> in <paramref name="type"/>: its contents are
    /// overwritten by the next conversion of the same size. Dispose the view; the buffer stays.</summary>
    public static Tensor For(long[] shape, ScalarType type, Device device)
    {
        buffers ??= [];
        long elements = shape.Aggregate(1L, (a, b) => a * b);
        var key = (elements, type, device.type, device.index);
        if (!buffers.TryGetValue(key, out var buffer) || buffer.IsInvalid)
        {
            buffer = empty(elements, dtype: type, device: device).DetachFromDisposeScope();
            buffers[key] = buffer;
        }
        return buffer.view(shape);
    }

    /// <summary>What the buffers for layers of these weight sizes hold: one buffer per distinct size.</summary>
    public static long BytesFor(IEnumerable<long> weightElements, int bytesPerElement)
        => weightElements.Distinct().Sum() * bytesPerElement;

    /// <summary>Frees this thread's buffers (a process that is done with its model).</summary>
    public static void Release()
    {
        if (buffers is null) return;
        foreach (var buffer in buffers.Values) buffer.Dispose();
        buffers.Clear();
    }
}
