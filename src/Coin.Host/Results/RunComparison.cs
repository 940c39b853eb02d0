using System.Text.Json;
using Coin.Abstractions.Plugins;

namespace Coin.Host.Results;

/// <summary>The figures of one finished run that a comparison needs, read from its results.json.</summary>
public sealed record RunSummary(string Folder, string Name, int Seed, ContinualMetrics Metrics, double Seconds)
{
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
            return new RunSummary(folder, root.GetProperty("name").GetString()!, root.GetProperty("seed").GetInt32(), metrics, seconds);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new CoinUserException($"{path}: not a results file this version can read ({e.Message})");
        }
    }
}

/// <summary>Runs grouped by experiment name (one method, several seeds): mean and sample standard deviation.</summary>
public sealed record MethodSummary(string Name, IReadOnlyList<RunSummary> Runs)
{
    public (double Mean, double Std) Of(Func<ContinualMetrics, double> metric) => MeanStd(Runs.Select(r => metric(r.Metrics)).ToList());

    public (double Mean, double Std) Seconds => MeanStd(Runs.Select(r => r.Seconds).ToList());

    public static (double Mean, double Std) MeanStd(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        double std = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
        return (mean, std);
    }

    public static IReadOnlyList<MethodSummary> Group(IEnumerable<RunSummary> runs)
        => runs.GroupBy(r => r.Name).Select(g => new MethodSummary(g.Key, g.OrderBy(r => r.Seed).ToList())).ToList();
}
