using System.Collections.Concurrent;

namespace Coin.Tests.Support;

/// <summary>Completed runs of the quick experiment (<see cref="CoinProcess.WriteQuickExperiment"/>) that several tests
/// read but none needs to have trained itself: each is run once per test process, by whichever test asks for it first
/// (the others wait for it), in a folder of its own; every test gets its own copy of the run folder, so that what one
/// test changes in it no other sees. Each such run is a whole <c>coin</c> process (~3 s of CPU, startup and plots
/// included), and the suite used to train the seed-7 run eight times.</summary>
public static class SharedQuickRuns
{
    private sealed record Shared(CoinProcess.Result Result, string? Run);

    private static readonly ConcurrentDictionary<string, Lazy<Shared>> Runs = new();

    /// <summary><c>coin run quick.json ARGS</c>: the process's result (of the one run all callers share), and when it
    /// completed, a copy of its run folder under <paramref name="directory"/>/runs/ (null when it did not: the
    /// caller's assertion on <see cref="CoinProcess.Result.ExitCode"/> then fails with the run's output).</summary>
    public static (CoinProcess.Result Result, string? Run) CopyInto(string directory, params string[] args)
    {
        var shared = Runs.GetOrAdd(string.Join('\n', args), _ => new Lazy<Shared>(() => RunOnce(args), LazyThreadSafetyMode.ExecutionAndPublication)).Value;
        if (shared.Run is null) return (shared.Result, null);
        string runs = Path.Combine(directory, "runs");
        // Two shared runs started in the same second have the same folder name: the second copy gets a suffix.
        string copy = Path.Combine(runs, Path.GetFileName(shared.Run));
        for (int i = 2; Directory.Exists(copy); i++) copy = Path.Combine(runs, $"{Path.GetFileName(shared.Run)}-{i}");
        TestPaths.CopyDirectory(shared.Run, copy);
        return (shared.Result, copy);
    }

    private static Shared RunOnce(string[] args)
    {
        string directory = TestPaths.NewTemporaryDirectory("quick-shared");
        var result = CoinProcess.Run(directory, ["run", CoinProcess.WriteQuickExperiment(directory), .. args]);
        string? run = result.ExitCode == 0 ? Directory.GetDirectories(Path.Combine(directory, "runs")).Single() : null;
        return new Shared(result, run);
    }
}
