using System.Runtime.InteropServices;
using System.Text;

namespace Coin.Engine.Runtime;

/// <summary>Runs the host under jemalloc, configured to keep freed memory for reuse, when the machine has it
/// (docs/performance.md, "The native allocator").</summary>
/// <remarks>
/// libtorch takes every CPU tensor from malloc. Under glibc a training step at LLaVA-7B widths either pins freed heap
/// blocks (0.3 GiB a decoder layer: a 7B step no longer fits 24 GiB) or, with the compact setting, maps every tensor
/// above 1 MiB afresh, so that the kernel faults in and zeroes its pages each time: a third of a 7B step's CPU time.
/// jemalloc reuses freed extents of any size without returning them, and its size classes keep fragmentation low.
/// This is PyTorch's own advice for CPU training (<c>torch.backends.xeon.run_cpu</c> preloads jemalloc the same way).
/// An allocator can only be chosen before the process starts, so the host re-executes itself once, at the very start,
/// with jemalloc in <c>LD_PRELOAD</c>: same process id, arguments, working directory and open files. libtorch's
/// transparent huge pages for tensors of 2 MiB or more are switched on with it (<c>THP_MEM_ALLOC_ENABLE</c>), which
/// makes the remaining first touches 512 times fewer. Results do not depend on the allocator, only speed and memory.
/// <c>COIN_ALLOCATOR=glibc</c> keeps glibc; an <c>LD_PRELOAD</c> the user set is left as it is.
/// </remarks>
public static class CachingAllocator
{
    public const string ChoiceVariable = "COIN_ALLOCATOR";
    /// <summary>Set in the re-executed process: the user's own values of the variables the relaunch added, so that
    /// they are restored for child processes (a browser, a scheduler's command) and the relaunch happens only once.</summary>
    private const string RelaunchedVariable = "COIN_ALLOCATOR_RELAUNCHED";
    private const string Library = "libjemalloc.so.2";

    /// <summary>jemalloc's settings: never purge freed pages (the decay times), so a step's tensors reuse the last
    /// step's memory instead of faulting it in again.</summary>
    public const string JemallocConfiguration = "dirty_decay_ms:-1,muzzy_decay_ms:-1";

    private static readonly string[] AddedVariables = ["LD_PRELOAD", "MALLOC_CONF", "THP_MEM_ALLOC_ENABLE"];

    /// <summary>Whether this process runs under jemalloc (the relaunch's, or one the user preloaded).</summary>
    public static bool Active { get; private set; }

    /// <summary>What the run's log says about it.</summary>
    public static string Description { get; private set; } = "";

    /// <summary>The commands that compute with tensors, for which the relaunch (about 85 ms) pays; help, completion, the
    /// plugin list, reports and comparisons start without it.</summary>
    public static readonly IReadOnlySet<string> ComputeCommands = new HashSet<string> { "run", "bench", "evaluate", "export", "sweep", "model" };

    /// <summary>Called first thing in <c>Main</c>: re-executes this process under jemalloc when the machine has it,
    /// nothing opted out and the command computes (<see cref="ComputeCommands"/>); returns only when no relaunch
    /// happens (or it failed, which leaves glibc in place).</summary>
    public static void RelaunchIfAvailable(IReadOnlyList<string> args)
    {
        if (!OperatingSystem.IsLinux()) return;
        if (Environment.GetEnvironmentVariable(RelaunchedVariable) is { } saved)
        {
            Active = true;
            Description = "jemalloc (freed memory kept for reuse" +
                          (Environment.GetEnvironmentVariable("THP_MEM_ALLOC_ENABLE") == "1" ? "; huge pages for tensors of 2 MiB or more)" : ")");
            RestoreForChildren(saved);
            return;
        }
        if (Environment.GetEnvironmentVariable("LD_PRELOAD") is { Length: > 0 } preloaded)
        {
            // The user's own choice, as it is.
            Active = preloaded.Contains("jemalloc", StringComparison.Ordinal);
            Description = $"jemalloc from LD_PRELOAD={preloaded}";
            return;
        }
        string? choice = Environment.GetEnvironmentVariable(ChoiceVariable);
        if (choice is not (null or "jemalloc" or "glibc"))
            Refuse($"{ChoiceVariable}='{choice}': expected 'jemalloc' (the default where the machine has it) or 'glibc'");
        if (choice == "glibc") return;
        if (args.Count == 0 || !ComputeCommands.Contains(args[0])) return;
        if (FindLibrary() is not { } library)
        {
            // Asked for by name, it must be there; by default, glibc serves (the run's log says which).
            if (choice == "jemalloc") Refuse($"{ChoiceVariable}=jemalloc, but {Library} is in none of the system's library folders (install Debian's libjemalloc2, or unset {ChoiceVariable})");
            return;
        }
        try
        {
            var arguments = ReadNulSeparated("/proc/self/cmdline");
            var environment = ReadNulSeparated("/proc/self/environ");
            if (arguments.Count == 0) return;
            environment = Relaunched(environment, library);
            Exec("/proc/self/exe", arguments, environment);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or EntryPointNotFoundException or DllNotFoundException)
        {
            // Without /proc or execve the run goes on under glibc: slower, never different.
        }
    }

    /// <summary>Stops before anything runs: the console and the command line do not exist yet.</summary>
    private static void Refuse(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        Environment.Exit(2);
    }

    /// <summary>The environment of the relaunched process: the current one, jemalloc preloaded and configured (a
    /// MALLOC_CONF or THP_MEM_ALLOC_ENABLE the user set wins), and the user's values kept for child processes.</summary>
    public static List<string> Relaunched(IReadOnlyList<string> environment, string library)
    {
        var values = environment.Select(entry => entry.Split('=', 2)).Where(pair => pair.Length == 2)
            .GroupBy(pair => pair[0]).ToDictionary(g => g.Key, g => g.Last()[1]);
        string saved = string.Join('\n', AddedVariables.Select(name => values.TryGetValue(name, out var value) ? $"{name}={value}" : name));
        var result = environment.Where(entry => !entry.StartsWith(RelaunchedVariable + "=", StringComparison.Ordinal)
                                                && !entry.StartsWith("LD_PRELOAD=", StringComparison.Ordinal)).ToList();
        result.Add($"LD_PRELOAD={library}");
        if (!values.ContainsKey("MALLOC_CONF")) result.Add($"MALLOC_CONF={JemallocConfiguration}");
        if (!values.ContainsKey("THP_MEM_ALLOC_ENABLE")) result.Add("THP_MEM_ALLOC_ENABLE=1");
        result.Add($"{RelaunchedVariable}={saved}");
        return result;
    }

    /// <summary>Child processes start from the user's environment, not the relaunch's (the managed environment is what
    /// <see cref="System.Diagnostics.Process"/> passes on).</summary>
    private static void RestoreForChildren(string saved)
    {
        foreach (string entry in saved.Split('\n'))
        {
            var pair = entry.Split('=', 2);
            Environment.SetEnvironmentVariable(pair[0], pair.Length == 2 ? pair[1] : null);
        }
        Environment.SetEnvironmentVariable(RelaunchedVariable, null);
    }

    /// <summary>jemalloc in the system's library folders (Debian's libjemalloc2, Fedora's jemalloc), or null.</summary>
    public static string? FindLibrary()
    {
        string triplet = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x86_64-linux-gnu",
            Architecture.Arm64 => "aarch64-linux-gnu",
            _ => "",
        };
        string[] folders = [$"/usr/lib/{triplet}", $"/lib/{triplet}", "/usr/lib64", "/usr/lib", "/usr/local/lib"];
        return folders.Select(folder => Path.Combine(folder, Library)).FirstOrDefault(File.Exists);
    }

    /// <summary>Returns the free pages jemalloc keeps to the system. Called where a run changes phase (before a task's
    /// training, before an evaluation), where the next phase's tensors have other sizes, and after a training step that
    /// left more than <see cref="StepRetentionBytes"/> free but kept: without it a 7B run held the union of its phases'
    /// free memory, 23.0 GiB against 21.1 within one task (docs/scale.md). A no-op under glibc.</summary>
    public static void ReturnFreeMemory()
    {
        if (Control() is { } control) Purge(control);
    }

    /// <summary>Free memory above this, kept after a training step, goes back (<see cref="ReturnFreeMemoryIfAbove"/>).</summary>
    public const long StepRetentionBytes = 1L << 30;

    /// <summary><see cref="ReturnFreeMemory"/> when jemalloc keeps more than <paramref name="bytes"/> free: a small
    /// model's steps keep a few MiB and never pay the page faults again; a 7B step's layers keep gigabytes.</summary>
    public static void ReturnFreeMemoryIfAbove(long bytes)
    {
        if (Control() is not { } control || !Refresh(control)) return;
        if (Read(control, "stats.resident") is { } resident && Read(control, "stats.allocated") is { } allocated && (long)(resident - allocated) > bytes)
            Purge(control);
    }

    /// <summary>Every arena's free pages back to the system (4096 is MALLCTL_ARENAS_ALL).</summary>
    private static void Purge(MallCtl control) => control("arena.4096.purge", 0, 0, 0, 0);

    /// <summary>The bytes jemalloc has handed out and not taken back (live allocations), or null under glibc.</summary>
    public static long? AllocatedBytes()
    {
        if (Control() is not { } control || !Refresh(control)) return null;
        return Read(control, "stats.allocated") is { } allocated ? (long)allocated : null;
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int MallCtl([MarshalAs(UnmanagedType.LPUTF8Str)] string name, nint oldValue, nint oldLength, nint newValue, nuint newLength);

    private static MallCtl? control;
    private static bool looked;

    /// <summary>jemalloc's control function from the global scope (the preloaded copy, never a second one), or null.</summary>
    private static MallCtl? Control()
    {
        if (!Active) return null;
        if (!looked)
        {
            looked = true;
            if (NativeLibrary.TryGetExport(NativeLibrary.GetMainProgramHandle(), "mallctl", out nint address))
                control = Marshal.GetDelegateForFunctionPointer<MallCtl>(address);
        }
        return control;
    }

    /// <summary>jemalloc's statistics are a snapshot, refreshed by writing "epoch".</summary>
    private static bool Refresh(MallCtl control)
    {
        var epoch = new ulong[] { 1 };
        var handle = GCHandle.Alloc(epoch, GCHandleType.Pinned);
        try
        {
            return control("epoch", 0, 0, handle.AddrOfPinnedObject(), 8) == 0;
        }
        finally
        {
            handle.Free();
        }
    }

    private static ulong? Read(MallCtl control, string name)
    {
        var value = new ulong[1];
        var length = new nuint[] { 8 };
        var valueHandle = GCHandle.Alloc(value, GCHandleType.Pinned);
        var lengthHandle = GCHandle.Alloc(length, GCHandleType.Pinned);
        try
        {
            return control(name, valueHandle.AddrOfPinnedObject(), lengthHandle.AddrOfPinnedObject(), 0, 0) == 0 ? value[0] : null;
        }
        finally
        {
            valueHandle.Free();
            lengthHandle.Free();
        }
    }

    private static List<string> ReadNulSeparated(string path)
        => Encoding.UTF8.GetString(File.ReadAllBytes(path)).Split('\0', StringSplitOptions.RemoveEmptyEntries).ToList();

    [DllImport("libc", EntryPoint = "execve", SetLastError = true)]
    private static extern int ExecVe(string path, string?[] arguments, string?[] environment);

    private static void Exec(string path, IReadOnlyList<string> arguments, IReadOnlyList<string> environment)
    {
        Console.Out.Flush();
        // Returns only on failure; then this process goes on as it is.
        ExecVe(path, [.. arguments, null], [.. environment, null]);
    }
}
