using System.Diagnostics;
using System.Text.Json;

namespace Coin.Engine.Journal;

/// <summary>An exclusive lock on a file, held by the kernel for as long as this process keeps the file open (on
/// Linux .NET takes <c>flock(LOCK_EX)</c> for <see cref="FileShare.None"/>). The kernel releases it however the holder
/// ends — SIGKILL, OOM kill, a preempted container whose successor has the same PID and host name — so there is no
/// stale lock to detect and nothing to take over. Who holds it (host, PID, start) is written beside it in
/// <c>&lt;lock&gt;.owner</c>, for messages only. The lock file itself is never deleted: deleting it after unlocking
/// would let a process that opened the old file and one that creates a new one both hold "the" lock.</summary>
/// <remarks>Setting <c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c> turns .NET's file locks off, and with them this one.</remarks>
public sealed class OwnerLock : IDisposable
{
    private readonly FileStream handle;
    private readonly string ownerFile;
    private bool released;

    private OwnerLock(FileStream handle, string ownerFile)
    {
        this.handle = handle;
        this.ownerFile = ownerFile;
    }

    /// <summary>Who holds a lock, as its owner file says.</summary>
    public sealed record Owner(string Host, int Pid, DateTime ProcessStartUtc)
    {
        public override string ToString() => $"process {Pid} on {Host}";
    }

    /// <summary>Takes the lock, or returns null (and who holds it, when it says) if a live process holds it.</summary>
    public static OwnerLock? TryAcquire(string path, out Owner? holder)
    {
        var handle = TryOpen(path);
        holder = null;
        if (handle is null)
        {
            holder = ReadOwner(path);
            return null;
        }
        using (var process = Process.GetCurrentProcess())
        {
            var self = new Owner(Environment.MachineName, Environment.ProcessId, process.StartTime.ToUniversalTime());
            try
            {
                Results.AtomicFile.WriteAllText(path + ".owner", JsonSerializer.Serialize(self));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The description is for messages only; the lock is what counts.
            }
        }
        return new OwnerLock(handle, path + ".owner");
    }

    /// <summary>Whether a live process holds the lock now (without taking it for longer than the look).</summary>
    public static bool IsHeld(string path, out Owner? holder)
    {
        holder = null;
        if (!File.Exists(path)) return false;
        using var handle = TryOpen(path);
        if (handle is not null) return false;
        holder = ReadOwner(path);
        return true;
    }

    private static FileStream? TryOpen(string path)
    {
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (File.Exists(path))
        {
            return null;
        }
    }

    private static Owner? ReadOwner(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<Owner>(File.ReadAllText(path + ".owner"));
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        if (released) return;
        released = true;
        try
        {
            File.Delete(ownerFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The folder went away; nothing to describe.
        }
        handle.Dispose();
    }
}
