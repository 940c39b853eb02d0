using Coin.Abstractions.Components;
using static TorchSharp.torch;

namespace Coin.Nn.Layers;

/// <summary>The element type attention (scaled dot-product) runs in under mixed precision.</summary>
/// <remarks>On CUDA it is the compute type, as PyTorch's autocast does. On the CPU it stays float32: libtorch 2.10's
/// CPU attention kernels are 2–4x slower in bfloat16 than in float32 (forward + backward, 8 × 8 heads × 128 tokens ×
/// 32: 18–33 ms against 7–9 ms, measured on this project's machine, docs/performance.md), while its bfloat16 matrix
/// products are 3–10x faster — so on a CPU only the products gain from bfloat16.</remarks>
public static class AttentionPrecision
{
    /// <summary>The type for attention over tensors on <paramref name="device"/> whose own type is <paramref name="inputType"/>.</summary>
    public static ScalarType For(Device device, ScalarType inputType)
        => ComputePrecision.Current is { } compute && device.type != TorchSharp.DeviceType.CPU ? compute : inputType;
}
