using System.Text.Json;
using Coin.Abstractions.Plugins;
using Coin.Engine.Results;

namespace Coin.Host.Presentation;

/// <summary>The figures of one finished run that a comparison needs, read from its results.json.</summary>
public sealed record RunSummary(string Folder, string Name, int Seed, ContinualMetrics Metrics, double Seconds)
{
    /// <summary>Training loss of the last task, per step, smoothed over <see cref="LossWindow"/> steps (from steps.csv).</summary>
    public IReadOnlyList<double> SmoothedLoss { get; init; } = [];

    public const int LossWindow = 20;

    /// <summary>The evaluator's further metrics (contract 2.0) after the last task, each averaged over the tasks.</summary>
    public IReadOnlyDictionary<string, double> FinalOthers { get; init; } = new Dictionary<string, double>();

    /// <summary>The settings that define the experiment (<see cref="RunDifferences.Settings"/>).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>The evaluation protocol, read from <see cref="Settings"/> (<c>task-agnostic</c> unless the run says
    /// otherwise, see <see cref="RunResults.EvaluationProtocol"/>).</summary>
    public string Protocol => Settings.TryGetValue("evaluation.protocol", out var json) && json.StartsWith('"') // a JSON string, not null
        ? JsonSerializer.Deserialize<string>(json)! : Coin.Engine.Configuration.EvaluationConfig.DefaultProtocol;

    /// <summary>The contract and each component's plugin version (<see cref="RunDifferences.Builds"/>).</summary>
    public IReadOnlyDictionary<string, string> Builds { get; init; } = new Dictionary<string, string>();

    /// <summary>Mean loss of the last task's last <see cref="LossWindow"/> steps.</summary>
    public double FinalLoss => SmoothedLoss.Count > 0 ? SmoothedLoss[^1] : double.NaN;

    /// <summary>The first step (1-based) at which the smoothed loss is at or below <paramref name="target"/>; null if never.</summary>
    public int? StepsToReach(double target)
    {
        for (int i = 0; i < SmoothedLoss.Count; i++) if (SmoothedLoss[i] <= target) return i + 1;
        return null;
    }

    /// <summary>Why a folder cannot be compared (no results, not completed); null when it can.</summary>
    public static string? Unfinished(string folder)
    {
        string path = Path.Combine(folder, "results.json");
        if (!File.Exists(path)) return "no results.json (is this a run folder?)";
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            string? status = document.RootElement.GetProperty("status").GetString();
            return status == "completed" ? null : $"status '{status}'";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return $"results.json is not readable ({e.Message})";
        }
    }

    public static RunSummary Read(string folder)
    {
        string path = Path.Combine(folder, "results.json");
        if (!File.Exists(path)) throw new CoinUserException($"{folder}: no results.json (is this a run folder?)");
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            if (root.GetProperty("status").GetString() != "completed")
                throw new CoinUserException($"{path}: the run did not complete (status '{root.GetProperty("status").GetString()}')");
            var metrics = root.GetProperty("metrics").Deserialize<ContinualMetrics>(ResolvedConfig.Json)
                ?? throw new CoinUserException($"{path}: no metrics");
            double seconds = root.GetProperty("training").EnumerateArray().Sum(t => t.GetProperty("trainSeconds").GetDouble() + t.GetProperty("evalSeconds").GetDouble());
            string lastTask = root.GetProperty("tasks").EnumerateArray().Last().GetString()!;
            return new RunSummary(folder, root.GetProperty("name").GetString()!, root.GetProperty("seed").GetInt32(), metrics, seconds)
            {
                SmoothedLoss = Smooth(ReadLoss(Path.Combine(folder, "steps.csv"), lastTask)),
                FinalOthers = FinalOtherMetrics(root, lastTask),
                Settings = root.TryGetProperty("config", out var settings) ? RunDifferences.Settings(settings) : new Dictionary<string, string>(),
                Builds = RunDifferences.Builds(root),
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new CoinUserException($"{path}: not a results file this version can read ({e.Message})");
        }
    }

    private static Dictionary<string, double> FinalOtherMetrics(JsonElement root, string lastTask)
    {
        if (!root.TryGetProperty("scores", out var scores)) return [];
        return scores.EnumerateArray()
            .Where(e => e.GetProperty("afterTask").GetString() == lastTask && e.TryGetProperty("others", out var o) && o.ValueKind == JsonValueKind.Object)
            .SelectMany(e => e.GetProperty("others").EnumerateObject().Select(p => (p.Name, Value: p.Value.GetDouble())))
            .GroupBy(p => p.Name).ToDictionary(g => g.Key, g => g.Average(p => p.Value));
    }

    private static List<double> ReadLoss(string path, string task)
    {
        if (!File.Exists(path)) return [];
        return Coin.Engine.Journal.StepLogFile.Read(path).Series("loss").Where(s => s.Task == task).Select(s => s.Value).ToList();
    }

    private static List<double> Smooth(List<double> values)
    {
        var smoothed = new List<double>(values.Count);
        double sum = 0;
        for (int i = 0; i < values.Count; i++)
        {
            sum += values[i];
            if (i >= LossWindow) sum -= values[i - LossWindow];
            smoothed.Add(sum / Math.Min(i + 1, LossWindow));
        }
        return smoothed;
    }
}

/// <summary>Runs grouped by experiment name (one method, several seeds): mean and sample standard deviation.</summary>
public sealed record MethodSummary(string Name, IReadOnlyList<RunSummary> Runs)
{
    public (double Mean, double Std) Of(Func<ContinualMetrics, double> metric) => MeanStd(Runs.Select(r => metric(r.Metrics)).ToList());

    /// <summary>What its runs should share but do not (see <see cref="RunDifferences"/>); empty when they agree. Worked
    /// out once: the table's notes and the page both show it.</summary>
    public IReadOnlyList<string> Differences { get; } = RunDifferences.Of(Runs);

    public (double Mean, double Std) Seconds => MeanStd(Runs.Select(r => r.Seconds).ToList());

    /// <summary>A further metric's final value over the runs that report it; null when none does.</summary>
    public (double Mean, double Std)? Other(string metric)
    {
        var values = Runs.Where(r => r.FinalOthers.ContainsKey(metric)).Select(r => r.FinalOthers[metric]).ToList();
        return values.Count == 0 ? null : MeanStd(values);
    }

    public static (double Mean, double Std) MeanStd(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        double std = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
        return (mean, std);
    }

    /// <summary>One group per experiment name and evaluation protocol: the same method scored task-aware and
    /// task-agnostic is two rows (the task-aware one labelled with it), never one mean over both.</summary>
    public static IReadOnlyList<MethodSummary> Group(IEnumerable<RunSummary> runs)
        => runs.GroupBy(Label).Select(g => new MethodSummary(g.Key, g.OrderBy(r => r.Seed).ToList())).ToList();

    /// <summary>The run's name, with its protocol when it is not the default (CoIN's task-agnostic evaluation).</summary>
    public static string Label(RunSummary run)
        => run.Protocol == Coin.Engine.Configuration.EvaluationConfig.DefaultProtocol ? run.Name : $"{run.Name} ({run.Protocol})";
}
