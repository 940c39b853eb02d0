using Coin.Abstractions.Plugins;
using TorchSharp;

namespace Coin.Host.Runtime;

/// <summary>Device choice, threads and version facts of the loaded libtorch.</summary>
public static class TorchRuntime
{
    public static torch.Device SelectDevice(string device)
    {
        if (device == "cpu") return torch.CPU;
        if (!torch.cuda.is_available())
            throw new CoinUserException(
                $"device '{device}' requested but CUDA is not available: this build uses the TorchSharp backend " +
                $"'{BuildInfo.TorchBackend}' or no GPU is visible; rebuild with -p:CoinTorchBackend=cuda-linux (or cuda-windows), or use --device cpu");
        int index = device.Contains(':') ? int.Parse(device[(device.IndexOf(':') + 1)..]) : 0;
        if (index >= torch.cuda.device_count())
            throw new CoinUserException($"device '{device}': only {torch.cuda.device_count()} CUDA device(s) are visible");
        return torch.device(DeviceType.CUDA, index);
    }

    /// <summary>0 means one intra-op thread per core (measured fastest; oversubscription is slower).</summary>
    public static int ConfigureThreads(int requested)
    {
        int threads = requested > 0 ? requested : Environment.ProcessorCount;
        torch.set_num_threads(threads);
        return threads;
    }

    /// <summary>A warning when other processes already keep the cores busy and this run would use more threads than
    /// the cores left: measured on 2 cores beside one busy process, a training step on 2 threads ran 2–3x slower than
    /// on 1, because libgomp's threads spin at every barrier while one of them waits for a core (docs/performance.md,
    /// "Threads under contention"). The thread count is not changed: results depend on it, and a run must not change
    /// with the machine's load. Null when there is nothing to say or no /proc/loadavg.</summary>
    public static string? ContentionWarning(int threads) => ContentionWarning(threads, Load(), Environment.ProcessorCount);

    /// <summary>The rule of <see cref="ContentionWarning(int)"/>: at least three quarters of a core busy elsewhere, and
    /// more threads than the cores that leaves.</summary>
    public static string? ContentionWarning(int threads, double? loadAverage, int cores)
    {
        if (threads <= 1 || loadAverage is not { } load) return null;
        if (load < 0.75 || threads + load <= cores + 0.25) return null;
        return $"the load average is {load:F1} on {cores} cores before this run starts: other processes keep cores busy, and with {threads} threads " +
               "each step may run 2-3x slower than with fewer (docs/performance.md, \"Threads under contention\"); set threads in the experiment " +
               "(for example 1) or OMP_WAIT_POLICY=PASSIVE in the environment";
    }

    private static double? Load()
    {
        try
        {
            string[] fields = File.ReadAllText("/proc/loadavg").Split(' ');
            return double.TryParse(fields[0], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double load) ? load : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Memory this process may still use: the smaller of Linux's MemAvailable and what its cgroup (v2) limit
    /// leaves (a container's or a Slurm job's memory limit), else the GC's limit minus what the process holds.</summary>
    public static long AvailableMemoryBytes()
    {
        long? available = null;
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal));
            if (line is not null && long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], out long kib)) available = kib * 1024;
            if (CgroupHeadroom() is { } headroom) available = Math.Min(available ?? long.MaxValue, headroom);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return available ?? Math.Max(0, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes - Environment.WorkingSet);
    }

    /// <summary>memory.max − memory.current of this process's cgroup; null without a limit or without cgroup v2.</summary>
    private static long? CgroupHeadroom()
    {
        string? group = File.Exists("/proc/self/cgroup")
            ? File.ReadLines("/proc/self/cgroup").FirstOrDefault(l => l.StartsWith("0::", StringComparison.Ordinal))?[3..]
            : null;
        if (group is null) return null;
        string folder = Path.Combine("/sys/fs/cgroup", group.TrimStart('/'));
        string max = Path.Combine(folder, "memory.max"), current = Path.Combine(folder, "memory.current");
        if (!File.Exists(max) || !File.Exists(current)) return null;
        if (!long.TryParse(File.ReadAllText(max).Trim(), out long limit)) return null; // "max": no limit
        return long.TryParse(File.ReadAllText(current).Trim(), out long used) ? Math.Max(0, limit - used) : null;
    }

    public static string TorchSharpVersion => typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "?";
}
