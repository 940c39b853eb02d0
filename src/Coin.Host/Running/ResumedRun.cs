using System.Text.Json;
using Coin.Abstractions.Plugins;
using Coin.Host.Configuration;
using Coin.Host.Results;

namespace Coin.Host.Running;

/// <summary>A run folder to continue: the configuration it started with (<c>experiment.json</c>), where its relative
/// paths pointed, and the results it has so far.</summary>
public sealed record ResumedRun(string Directory, string ExperimentFile, ExperimentSource Source, RunResults Results)
{
    public const string ExperimentFileName = "experiment.json";
    public const string ResultsFileName = "results.json";

    public static ResumedRun Open(string directory)
    {
        string full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full)) throw new CoinUserException($"--resume: run folder '{directory}' does not exist");
        string resultsFile = Path.Combine(full, ResultsFileName);
        string experimentFile = Path.Combine(full, ExperimentFileName);
        foreach (string needed in new[] { resultsFile, experimentFile })
            if (!File.Exists(needed)) throw new CoinUserException($"--resume: {needed} is missing; is '{directory}' a run folder of coin run?");
        RunResults results;
        try
        {
            results = JsonSerializer.Deserialize<RunResults>(File.ReadAllText(resultsFile), ResolvedConfig.Json)
                      ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new CoinUserException($"{resultsFile}: not a readable results file ({e.Message})");
        }
        if (results.Status == "completed") throw new CoinUserException($"--resume: the run in '{directory}' has already completed");
        return new ResumedRun(full, experimentFile, new ExperimentSource($"{results.Source} (resumed)", results.BaseDirectory), results);
    }
}

/// <summary>Whether this invocation continues a run (<c>coin run --resume</c>).</summary>
public sealed record ResumeRequest(ResumedRun? Run);
