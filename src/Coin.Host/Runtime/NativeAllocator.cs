using System.Runtime.InteropServices;

namespace Coin.Host.Runtime;

/// <summary>Keeps glibc's malloc from holding freed tensor memory (docs/scale.md, "Where the memory went").</summary>
/// <remarks>libtorch allocates CPU tensors with glibc's malloc. By default glibc raises its mmap threshold to the size
/// of the largest block freed so far (up to 32 MiB), after which tensors of a few MiB come from the heap, where one
/// long-lived tensor (a checkpointed layer's input) pins the freed blocks below it: at LLaVA-7B widths that held
/// ~0.3 GiB per decoder layer that no tensor used, and a step that needs 21 GiB was killed at 24 GiB. A fixed
/// threshold of 1 MiB (which also turns the adjustment off) maps every larger tensor on its own and returns it to the
/// system when freed. Results are unchanged: only where memory comes from. MALLOC_MMAP_THRESHOLD_ in the
/// environment, if set, wins.</remarks>
public static class NativeAllocator
{
    private const int M_MMAP_THRESHOLD = -3;
    public const int MmapThresholdBytes = 1 << 20;

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallOpt(int parameter, int value);

    /// <summary>Called once at start; a no-op off Linux or where libc has no mallopt (musl).</summary>
    public static void Configure()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null) return;
        try
        {
            MallOpt(M_MMAP_THRESHOLD, MmapThresholdBytes);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
        }
    }
}
