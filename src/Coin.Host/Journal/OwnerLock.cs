using System.Diagnostics;
using System.Text.Json;

namespace Coin.Host.Journal;

/// <summary>A lock file that names its owner (host, process id, the process's start time): created exclusively
/// (O_EXCL), deleted when released. A lock whose owner process is gone — killed, preempted — is stale and is taken over;
/// one held by a live process, or by a process on another host (which cannot be checked from here), is respected.</summary>
public sealed class OwnerLock : IDisposable
{
    private readonly string path;
    private bool released;

    private OwnerLock(string path) => this.path = path;

    /// <summary>Who holds a lock, as its file says.</summary>
    public sealed record Owner(string Host, int Pid, DateTime ProcessStartUtc)
    {
        public override string ToString() => $"process {Pid} on {Host}";
    }

    /// <summary>Creates the lock file if it does not exist; null (and the current owner) if it does, even when stale.</summary>
    public static OwnerLock? TryCreate(string path, out Owner? holder)
    {
        holder = null;
        try
        {
            using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            JsonSerializer.Serialize(stream, Self());
            stream.Flush(flushToDisk: true);
            return new OwnerLock(path);
        }
        catch (IOException) when (File.Exists(path))
        {
            holder = Read(path);
            return null;
        }
    }

    /// <summary>Takes the lock, taking over a stale one; null (and the live owner) when another process holds it.</summary>
    public static OwnerLock? TryAcquire(string path, out Owner? holder)
    {
        for (int attempt = 0; attempt < 3; attempt++)
        {
            if (TryCreate(path, out holder) is { } taken) return taken;
            if (holder is not null && IsAlive(holder)) return null;
            // Stale: move it aside under a unique name first, so two processes taking over at once cannot both win.
            string aside = $"{path}.stale-{Environment.ProcessId}-{Guid.NewGuid():N}";
            try
            {
                File.Move(path, aside);
                File.Delete(aside);
            }
            catch (IOException)
            {
                // Someone else moved it first; try again.
            }
        }
        holder = Read(path);
        return null;
    }

    /// <summary>Who holds the lock file, if it exists.</summary>
    public static Owner? Holder(string path) => File.Exists(path) ? Read(path) : null;

    /// <summary>True unless the owner is provably gone: same host and no process with that id started at that time.</summary>
    public static bool IsAlive(Owner owner)
    {
        if (owner.Host != Environment.MachineName) return true;
        if (owner.Pid == Environment.ProcessId) return true;
        try
        {
            using var process = Process.GetProcessById(owner.Pid);
            return Math.Abs((process.StartTime.ToUniversalTime() - owner.ProcessStartUtc).TotalSeconds) < 2;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static Owner Self()
    {
        using var process = Process.GetCurrentProcess();
        return new Owner(Environment.MachineName, Environment.ProcessId, process.StartTime.ToUniversalTime());
    }

    /// <summary>The owner named in a lock file; a file being written this moment or unreadable reads as a dead owner
    /// on this host (pid 0).</summary>
    private static Owner? Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<Owner>(File.ReadAllText(path));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            // Written by a process that died between creating and filling it (or torn): treat as stale unless very new.
            return File.GetLastWriteTimeUtc(path) > DateTime.UtcNow.AddSeconds(-5)
                ? new Owner(Environment.MachineName, Environment.ProcessId, DateTime.MinValue)
                : new Owner(Environment.MachineName, 0, DateTime.MinValue);
        }
    }

    public void Dispose()
    {
        if (released) return;
        released = true;
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The folder went away; nothing to release.
        }
    }
}
