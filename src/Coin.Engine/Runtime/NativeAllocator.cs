using System.Runtime.InteropServices;

namespace Coin.Engine.Runtime;

/// <summary>How glibc's malloc serves libtorch's CPU tensors, chosen by how much of the machine a run's model holds
/// (docs/performance.md, "The native allocator").</summary>
/// <remarks>
/// glibc raises its mmap threshold to the largest block freed so far (up to 32 MiB), after which tensors of a few MiB
/// come from the heap. For a model that fills the machine that costs memory: a long-lived tensor (a checkpointed
/// layer's input) pins the freed blocks below it, ~0.3 GiB per decoder layer at LLaVA-7B widths, and a step that needs
/// 21 GiB was killed at 24 GiB (docs/scale.md). A fixed 1 MiB threshold maps every larger tensor on its own and returns
/// it when freed. For a small model the same setting costs time: every tensor above 1 MiB is then a fresh mapping whose
/// pages the kernel zeroes on first touch, which made a d=512 training step 3–8x slower. So the compact setting is used
/// only when the composed model holds at least <see cref="CompactShare"/> of the memory; results are the same either
/// way, only where memory comes from and how fast. <c>MALLOC_MMAP_THRESHOLD_</c> in the environment wins over both.
/// All of this applies only under glibc: where the machine has jemalloc the host runs under it (<see cref="CachingAllocator"/>),
/// which is both faster and more compact.
/// </remarks>
public static class NativeAllocator
{
    private const int M_MMAP_THRESHOLD = -3;
    public const int MmapThresholdBytes = 1 << 20;

    /// <summary>The share of the process's memory (resident + still available) above which the model counts as large.</summary>
    public const double CompactShare = 1.0 / 16;

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallOpt(int parameter, int value);

    /// <summary>Whether the model, now resident, is large enough for the compact setting.</summary>
    public static bool IsLarge(long residentBytes, long availableBytes)
        => residentBytes >= CompactShare * (residentBytes + Math.Max(0, availableBytes));

    /// <summary>Chooses the setting for a process whose model is loaded (<paramref name="residentBytes"/> resident) and
    /// returns what was chosen, for the run's log.</summary>
    public static string ChooseFor(long residentBytes, long availableBytes)
    {
        if (CachingAllocator.Active) return CachingAllocator.Description;
        if (Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is { } fromEnvironment)
            return $"glibc's mmap threshold from MALLOC_MMAP_THRESHOLD_={fromEnvironment}";
        if (!IsLarge(residentBytes, availableBytes)) return "glibc's default";
        return UseCompact() ? "compact (mmap threshold 1 MiB: the model holds at least 1/16 of the memory)" : "glibc's default (mallopt unavailable)";
    }

    /// <summary><see cref="ChooseFor(long, long)"/> for this process as it is now.</summary>
    public static string ChooseForThisProcess()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return ChooseFor(process.WorkingSet64, TorchRuntime.AvailableMemoryBytes());
    }

    /// <summary>Fixes the threshold at 1 MiB; false off Linux or where libc has no mallopt (musl).</summary>
    public static bool UseCompact()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return MallOpt(M_MMAP_THRESHOLD, MmapThresholdBytes) == 1;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }
}
