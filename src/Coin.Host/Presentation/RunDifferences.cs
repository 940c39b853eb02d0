using System.Text.Json;

namespace Coin.Host.Presentation;

/// <summary>What the runs averaged into one row of <c>coin compare</c> should share but do not: settings other than the
/// seed, plugin versions, the contract. A row is a mean over seeds of one experiment; a run whose learning rate was
/// edited under the same name, or one built with another version of a method, would otherwise be averaged in silently.</summary>
public static class RunDifferences
{
    /// <summary>Top-level config keys that do not define what is measured: the seed (the axis averaged over), where the
    /// run wrote, on what device and threads it ran, path variables, plugin folders, reporting.</summary>
    private static readonly HashSet<string> NotTheExperiment = ["name", "seed", "output", "device", "threads", "variables", "plugins", "reporting"];

    /// <summary>Below the top level: how often a run checkpoints, and caches (of data, base models, prepared inputs,
    /// judge answers), which each machine may place and size differently.</summary>
    private static bool IsBookkeeping(string path)
    {
        string last = path[(path.LastIndexOf('.') + 1)..];
        return last == "checkpointEverySteps" || last.Contains("cache", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The config's leaves (<c>training.learningRate</c> → <c>0.001</c>), those that define the experiment.</summary>
    public static IReadOnlyDictionary<string, string> Settings(JsonElement config)
    {
        var leaves = new Dictionary<string, string>(StringComparer.Ordinal);
        if (config.ValueKind != JsonValueKind.Object) return leaves;
        foreach (var property in config.EnumerateObject())
            if (!NotTheExperiment.Contains(property.Name)) Flatten(property.Value, property.Name, leaves);
        return leaves;
    }

    private static void Flatten(JsonElement value, string path, Dictionary<string, string> leaves)
    {
        if (value.ValueKind == JsonValueKind.Object)
            foreach (var property in value.EnumerateObject()) Flatten(property.Value, $"{path}.{property.Name}", leaves);
        // Arrays are compared whole (a list of tasks is one setting), written compactly: the file's indentation is not
        // a setting.
        else if (!IsBookkeeping(path)) leaves[path] = JsonSerializer.Serialize(value);
    }

    /// <summary>Where a run ran, as far as it changes the figures: the device, and the thread count (float sums are
    /// ordered differently at 1 and 2 threads, and results drift apart over thousands of steps).</summary>
    private static readonly string[] RanOn = ["device", "threads"];

    /// <summary>The build each run came from: the contract, and every component's plugin and version by key; and where
    /// it ran (<see cref="RanOn"/>).</summary>
    public static IReadOnlyDictionary<string, string> Builds(JsonElement root)
    {
        var builds = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string key in RanOn)
            if (root.TryGetProperty(key, out var value)) builds[key] = value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : value.GetRawText();
        if (root.TryGetProperty("versions", out var versions) && versions.TryGetProperty("contract", out var contract))
            builds["contract"] = contract.GetString() ?? "";
        if (root.TryGetProperty("components", out var components))
            foreach (var c in components.EnumerateArray())
                if (c.TryGetProperty("key", out var key) && c.TryGetProperty("name", out var name) && c.TryGetProperty("version", out var version))
                    builds[key.GetString() ?? ""] = $"{name.GetString()} {version.GetString()}";
        return builds;
    }

    /// <summary>One line per setting or build part that differs among <paramref name="runs"/>, naming which seeds have
    /// which value. A setting only some runs record (an option added by a later build) is not a difference: the
    /// build's line says the builds differ.</summary>
    public static IReadOnlyList<string> Of(IReadOnlyList<RunSummary> runs, int most = 6)
    {
        if (runs.Count < 2) return [];
        var lines = Differing(runs, r => r.Builds)
            .Select(d => RanOn.Any(k => d.StartsWith(k + " = ", StringComparison.Ordinal)) ? $"ran differently: {d}" : $"built differently: {d}").ToList();
        var settings = Differing(runs, r => r.Settings).ToList();
        lines.AddRange(settings.Take(most).Select(d => $"set differently: {d}"));
        if (settings.Count > most) lines.Add($"and {settings.Count - most} more settings differ");
        return lines;
    }

    private static IEnumerable<string> Differing(IReadOnlyList<RunSummary> runs, Func<RunSummary, IReadOnlyDictionary<string, string>> of)
    {
        var keys = runs.Select(r => of(r).Keys).Aggregate((a, b) => a.Intersect(b, StringComparer.Ordinal)).Order(StringComparer.Ordinal);
        foreach (string key in keys)
        {
            var values = runs.GroupBy(r => of(r)[key], StringComparer.Ordinal).ToList();
            if (values.Count > 1)
                yield return $"{key} = " + string.Join("; ", values.Select(g => $"{Shorten(g.Key)} (seed{(g.Count() > 1 ? "s" : "")} {string.Join(", ", g.Select(r => r.Seed))})"));
        }
    }

    private static string Shorten(string value) => value.Length <= 60 ? value : value[..57] + "...";
}
