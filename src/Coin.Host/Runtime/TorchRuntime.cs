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
