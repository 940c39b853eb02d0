using Coin.Abstractions.Plugins;
using Coin.Engine.Journal;

namespace Coin.Engine.Caching;

/// <summary>The user-level cache that every run on the machine shares, as Hugging Face's is: generated data under
/// <c>data/&lt;plugin&gt;/&lt;entry&gt;</c> and trained base models under <c>base-models/&lt;entry&gt;</c>. Its root is
/// <c>$COIN_HOME</c>, else <c>$XDG_CACHE_HOME/coin</c>, else <c>~/.cache/coin</c>. Runs started at once share it safely:
/// generators write into a folder of their own and publish it by a rename, base models are trained under a lock.</summary>
public static class UserCache
{
    public const string HomeVariable = "COIN_HOME";

    /// <summary>The root and which rule chose it (for <c>coin cache list</c>).</summary>
    public static (string Root, string Source) Locate()
    {
        string? home = Environment.GetEnvironmentVariable(HomeVariable);
        if (!string.IsNullOrEmpty(home))
        {
            if (home.Contains('\0')) throw new CoinUserException($"{HomeVariable} holds a NUL character");
            return (Path.GetFullPath(home), $"${HomeVariable}");
        }
        // The XDG base directory specification: a relative value is invalid and is ignored.
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathFullyQualified(xdg) && !xdg.Contains('\0')) return (Path.Combine(xdg, "coin"), "$XDG_CACHE_HOME/coin");
        string user = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile, Environment.SpecialFolderOption.DoNotVerify);
        if (string.IsNullOrEmpty(user))
            throw new CoinUserException($"no folder for the cache: set {HomeVariable} (neither it, XDG_CACHE_HOME nor HOME is set)");
        return (Path.Combine(user, ".cache", "coin"), "~/.cache/coin");
    }

    public static string Root => Locate().Root;

    /// <summary>Where base models are cached by default (<c>pretraining.cache</c> unset).</summary>
    public static string BaseModels => Path.Combine(Root, "base-models");

    /// <summary>One thing the cache holds: a generated data set, a base model, or a folder an interrupted writer left.</summary>
    public sealed record Entry(string Name, string Path, long Bytes, DateTime Modified, string State);

    /// <summary>Every entry under <paramref name="root"/>: <c>data/&lt;plugin&gt;/&lt;entry&gt;</c>, and
    /// <c>&lt;area&gt;/&lt;entry&gt;</c> for every other area. Symbolic links are listed, never followed.</summary>
    public static IReadOnlyList<Entry> List(string root)
    {
        var entries = new List<Entry>();
        if (!Directory.Exists(root)) return entries;
        foreach (var area in new DirectoryInfo(root).EnumerateDirectories().Where(d => d.LinkTarget is null))
        {
            var parents = area.Name == "data" ? area.EnumerateDirectories().Where(d => d.LinkTarget is null).ToList() : [area];
            foreach (var parent in parents)
                foreach (var item in parent.EnumerateFileSystemInfos())
                {
                    if (item.Name.EndsWith(".lock", StringComparison.Ordinal) || item.Name.EndsWith(".lock.owner", StringComparison.Ordinal)) continue;
                    string name = System.IO.Path.GetRelativePath(root, item.FullName).Replace('\\', '/');
                    entries.Add(new Entry(name, item.FullName, SizeOf(item), item.LastWriteTimeUtc, StateOf(item)));
                }
        }
        return entries.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>"in use" while a live process holds the entry's lock (a base model being trained) or writes its
    /// staging folder; "partial" for a staging folder whose writer is gone; otherwise "ready".</summary>
    private static string StateOf(FileSystemInfo item)
    {
        if (item is DirectoryInfo && PartialWriter(item.Name) is { } pid)
            return ProcessIsAlive(pid) ? "in use" : "partial";
        string lockFile = item.FullName + ".lock";
        if (File.Exists(lockFile) && OwnerLock.IsHeld(lockFile, out _)) return "in use";
        return "ready";
    }

    /// <summary>The writer's process id in a staging folder's name (<c>NAME.partial-PID-GUID</c>), if it is one.</summary>
    private static int? PartialWriter(string name)
    {
        int at = name.LastIndexOf(".partial-", StringComparison.Ordinal);
        if (at < 0) return null;
        string[] parts = name[(at + ".partial-".Length)..].Split('-');
        return parts.Length >= 1 && int.TryParse(parts[0], out int pid) ? pid : null;
    }

    private static bool ProcessIsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private static long SizeOf(FileSystemInfo item)
    {
        if (item.LinkTarget is not null) return 0;
        if (item is FileInfo file) return file.Length;
        long bytes = 0;
        var pending = new Stack<DirectoryInfo>([(DirectoryInfo)item]);
        while (pending.Count > 0)
            foreach (var child in pending.Pop().EnumerateFileSystemInfos())
            {
                if (child.LinkTarget is not null) continue;
                if (child is DirectoryInfo directory) pending.Push(directory);
                else bytes += ((FileInfo)child).Length;
            }
        return bytes;
    }

    /// <summary>Removes an entry that is not in use. Its lock file stays (a few bytes): deleting it could let a run
    /// that opened the old file and one that creates a new one both hold the lock (<see cref="OwnerLock"/>).</summary>
    public static void Remove(Entry entry)
    {
        if (entry.State == "in use") throw new InvalidOperationException($"{entry.Name} is in use");
        var info = new DirectoryInfo(entry.Path);
        // A symbolic link is removed itself, never what it points to.
        if (info.Exists && info.LinkTarget is null) info.Delete(recursive: true);
        else File.Delete(entry.Path);
    }
}
