using static TorchSharp.torch;

namespace Coin.Nn.Layers;

/// <summary>One reusable destination for frozen weights converted per product (a bfloat16 base under float32 compute,
/// an int8 or NF4 base): each product writes its layer's weight into a prefix of the buffer and uses it at once.</summary>
/// <remarks>A fresh tensor per product costs more than the conversion: above glibc's mmap threshold (which a model that
/// fills the machine lowers to 1 MiB, <c>NativeAllocator</c>) every one is a new mapping whose pages the kernel zeroes
/// on first touch. A 7B evaluation spent 31% of its CPU time in the kernel doing that for 180 MB copies. The buffer
/// grows to the largest weight converted (a 7B LLaVA's LM head, 0.5 GB in float32), as much as the largest fresh copy
/// held for a moment before, so the memory plan counts the same (<see cref="BytesFor"/>). One buffer per thread and
/// compute type: products use their weight before the next conversion starts (on a GPU, in stream order). Values are
/// those of a fresh conversion, bit for bit.</remarks>
public static class ConversionBuffers
{
    [ThreadStatic] private static Dictionary<(ScalarType Type, TorchSharp.DeviceType Device, int Index), Tensor>? buffers;

    /// <summary>A view of this thread's buffer as <paramref name="shape"/> in <paramref name="type"/>: its contents are
    /// overwritten by the next conversion. Dispose the view; the buffer stays.</summary>
    public static Tensor For(long[] shape, ScalarType type, Device device)
    {
        buffers ??= [];
        long elements = shape.Aggregate(1L, (a, b) => a * b);
        var key = (type, device.type, device.index);
        if (!buffers.TryGetValue(key, out var buffer) || buffer.IsInvalid || buffer.numel() < elements)
        {
            buffer?.Dispose();
            buffer = empty(elements, dtype: type, device: device).DetachFromDisposeScope();
            buffers[key] = buffer;
        }
        using var prefix = buffer.narrow(0, 0, elements);
        return prefix.view(shape);
    }

    /// <summary>What the buffer holds for layers of these weight sizes: the largest.</summary>
    public static long BytesFor(IEnumerable<long> weightElements, int bytesPerElement)
        => weightElements.DefaultIfEmpty(0).Max() * bytesPerElement;

    /// <summary>Frees this thread's buffers (a process that is done with its model).</summary>
    public static void Release()
    {
        if (buffers is null) return;
        foreach (var buffer in buffers.Values) buffer.Dispose();
        buffers.Clear();
    }
}
