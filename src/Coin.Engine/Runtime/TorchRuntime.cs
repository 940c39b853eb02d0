using Coin.Abstractions.Plugins;
using TorchSharp;

namespace Coin.Engine.Runtime;

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
    /// with the machine's load. Null when there is nothing to say or no /proc/stat.</summary>
    /// <remarks>What other processes use is measured now, over a quarter of a second, not read from the load average:
    /// that one-minute average still counts a job that has just ended (a plan, a build), and warned of it.</remarks>
    public static string? ContentionWarning(int threads) => ContentionWarning(threads, threads <= 1 ? null : CoresBusyElsewhere(), Environment.ProcessorCount);

    /// <summary>The rule of <see cref="ContentionWarning(int)"/>: at least three quarters of a core busy elsewhere, and
    /// more threads than the cores that leaves.</summary>
    public static string? ContentionWarning(int threads, double? busyElsewhere, int cores)
    {
        if (threads <= 1 || busyElsewhere is not { } load) return null;
        if (load < 0.75 || threads + load <= cores + 0.25) return null;
        return $"other processes keep {load:F1} of {cores} cores busy as this run starts, and with {threads} threads " +
               "each step may run 2-3x slower than with fewer (docs/performance.md, \"Threads under contention\"); set threads in the experiment " +
               "(for example 1) or OMP_WAIT_POLICY=PASSIVE in the environment";
    }

    /// <summary>Cores' worth of CPU time other processes used over the last quarter of a second: the machine's busy
    /// time (/proc/stat) less this process's own (/proc/self/stat), null where neither can be read.</summary>
    private static double? CoresBusyElsewhere()
    {
        try
        {
            var (busy0, total0) = MachineJiffies();
            long own0 = OwnJiffies();
            Thread.Sleep(250);
            var (busy1, total1) = MachineJiffies();
            long own1 = OwnJiffies();
            long elapsed = total1 - total0;
            return elapsed <= 0 ? null : Math.Max(0, (double)(busy1 - busy0 - (own1 - own0)) / elapsed * Environment.ProcessorCount);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>All CPUs' busy and total jiffies: user nice system idle iowait irq softirq steal (idle and iowait are not busy).</summary>
    private static (long Busy, long Total) MachineJiffies()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(f => long.Parse(f, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        long total = fields.Sum();
        return (total - fields[3] - fields[4], total);
    }

    /// <summary>This process's user and system jiffies (fields 14 and 15 of /proc/self/stat, after the command name).</summary>
    private static long OwnJiffies()
    {
        string stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
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
