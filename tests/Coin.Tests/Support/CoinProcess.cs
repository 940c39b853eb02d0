using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Coin.Tests.Support;

/// <summary>Runs the built <c>coin</c> host as a separate process, as a user would.</summary>
public static class CoinProcess
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
    }

    public static Result Run(string workingDirectory, params string[] args) => RunWith(new Dictionary<string, string>(), workingDirectory, args);

    /// <summary><c>coin run</c> of the quick experiment with the fixture plugins (<see cref="TestPaths.FaultyPluginsIn"/>)
    /// and the given <c>--set KEY=VALUE</c> settings.</summary>
    public static Result RunQuickWithFixturePlugins(string directory, params string[] settings)
        => Run(directory, ["run", WriteQuickExperiment(directory), "--plugins", TestPaths.FaultyPluginsIn(directory), .. settings.SelectMany(s => new[] { "--set", s })]);

    /// <summary>As <see cref="Run"/>, with extra environment variables.</summary>
    public static Result RunWith(IReadOnlyDictionary<string, string> environment, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(TestPaths.HostDirectory, "coin.dll"));
        foreach (string arg in args) start.ArgumentList.Add(arg);
        // Keep the child on one thread so a test run does not oversubscribe the cores.
        start.Environment["COIN_THREADS"] = "1";
        start.Environment[Coin.Engine.Caching.UserCache.HomeVariable] = CacheOf(workingDirectory);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"coin {string.Join(' ', args)} did not finish in 5 minutes");
        }
        return new Result(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Starts the host in the background (one thread), its output read asynchronously: for tests that signal
    /// or kill it while it runs.</summary>
    public static Process Start(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(TestPaths.HostDirectory, "coin.dll"));
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment["COIN_THREADS"] = "1";
        start.Environment[Coin.Engine.Caching.UserCache.HomeVariable] = CacheOf(workingDirectory);
        var process = Process.Start(start)!;
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>The user-level cache (<c>$COIN_HOME</c>) of the host processes a test starts in
    /// <paramref name="workingDirectory"/>: a folder of the test's own, as the caches beside each test's experiment
    /// file were, so that no test finds another's generated data or base model.</summary>
    public static string CacheOf(string workingDirectory) => Path.Combine(workingDirectory, "coin-home");

    /// <summary>A small, fast experiment: two shapes tasks, a few steps each. <paramref name="customize"/> may
    /// change the JSON before it is written.</summary>
    public static string WriteQuickExperiment(string directory, Action<JsonObject>? customize = null)
    {
        var experiment = JsonNode.Parse("""
        {
          "name": "quick",
          "seed": 7,
          "output": "runs",
          "training": { "epochs": 1, "batchSize": 16 },
          "data": { "type": "shapes", "options": { "tasks": ["color", "position"], "trainPerTask": 48, "testPerTask": 16 } },
          "evaluation": { "batchSize": 16, "maxNewTokens": 8, "zeroShot": false, "evaluator": { "type": "exact-match" } }
        }
        """)!.AsObject();
        customize?.Invoke(experiment);
        string path = Path.Combine(directory, "quick.json");
        File.WriteAllText(path, experiment.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return path;
    }
}
