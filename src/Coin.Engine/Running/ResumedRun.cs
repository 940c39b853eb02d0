using System.Text.Json.Nodes;
using Coin.Abstractions.Plugins;
using Coin.Engine.Configuration;
using Coin.Engine.Journal;
using Coin.Engine.Results;

namespace Coin.Engine.Running;

/// <summary>A run folder to continue: the configuration it started with (<c>experiment.json</c>), where its relative
/// paths pointed, and the results it had at the start (null if it was killed before writing them).</summary>
public sealed record ResumedRun(string Directory, string ExperimentFile, ExperimentSource Source, RunResults? Results)
{
    public const string ExperimentFileName = RunJournal.ExperimentFileName;

    /// <param name="toContinue">False to read the run only (<c>coin evaluate</c>): a completed run is then fine.</param>
    public static ResumedRun Open(string directory, bool toContinue = true)
    {
        string full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full)) throw new CoinUserException($"--resume: run folder '{directory}' does not exist");
        string experimentFile = Path.Combine(full, ExperimentFileName);
        if (!File.Exists(experimentFile))
            throw new CoinUserException($"--resume: {experimentFile} is missing; is '{directory}' a run folder of coin run? " +
                                        "(a run killed before it wrote its experiment file has nothing to resume: start it again)");
        var results = File.Exists(Path.Combine(full, RunJournal.ResultsFileName)) ? RunJournal.ReadResults(full) : null;
        if (toContinue && results?.Status == "completed")
            throw new CoinUserException($"--resume: the run in '{directory}' has already completed (coin report {directory} writes its report and plots again)");
        if (results?.ExperimentSha256 is { } recorded && RunJournal.Sha256(experimentFile) != recorded)
            throw new CoinUserException($"--resume: {experimentFile} was changed after the run started ({Describe(results.Config, experimentFile)}); " +
                                        "a resumed run keeps the configuration it started with: restore the file, or start a new run with the changed experiment");
        var origin = results is null ? RunJournal.ReadOrigin(full) : new ExperimentSource(results.Source, results.BaseDirectory);
        var source = origin is null
            ? new ExperimentSource($"{experimentFile} (resumed)", full)
            : new ExperimentSource($"{origin.Name} (resumed)", origin.BaseDirectory);
        return new ResumedRun(full, experimentFile, source, results);
    }

    /// <summary>The values that differ between the configuration recorded in results.json and the edited file.</summary>
    private static string Describe(JsonNode recorded, string experimentFile)
    {
        JsonNode? edited;
        try
        {
            edited = JsonNode.Parse(Coin.Nn.Files.InputFile.ReadJsonText(experimentFile, Coin.Nn.Files.InputFile.Limits.Experiment, "experiment file"));
        }
        catch (System.Text.Json.JsonException e)
        {
            return $"it is no longer valid JSON: {e.Message}";
        }
        var changes = new List<string>();
        Diff(ResolvedConfig.WithoutNulls(recorded), edited, "", changes);
        return changes.Count == 0 ? "only its formatting" : string.Join("; ", changes.Take(8)) + (changes.Count > 8 ? $"; {changes.Count - 8} more" : "");
    }

    private static void Diff(JsonNode? before, JsonNode? after, string path, List<string> changes)
    {
        if (before is JsonObject a && after is JsonObject b)
        {
            foreach (string key in a.Select(kv => kv.Key).Union(b.Select(kv => kv.Key)))
                Diff(a[key], b[key], path.Length == 0 ? key : $"{path}.{key}", changes);
            return;
        }
        if (!JsonNode.DeepEquals(before, after))
            changes.Add($"{path}: {before?.ToJsonString() ?? "(absent)"} → {after?.ToJsonString() ?? "(absent)"}");
    }
}

/// <summary>Whether this invocation continues a run (<c>coin run --resume</c>).</summary>
public sealed record ResumeRequest(ResumedRun? Run);
