using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Coin.Abstractions.Plugins;

namespace Coin.Host.Sweeps;

/// <summary>One cell of a sweep: its index, the axis values it takes, its folder and the name its run carries (the
/// axis values other than the seed, so <c>coin compare</c> groups the seeds of one setting).</summary>
/// <param name="Values">The axis values, for names and messages (a named axis gives its label).</param>
/// <param name="Assignments">The configuration paths the cell sets, in order.</param>
public sealed record SweepCell(int Index, IReadOnlyList<(string Key, JsonNode? Value)> Values, IReadOnlyList<(string Path, JsonNode? Value)> Assignments,
    string Name, string RunName, string Directory)
{
    public string Describe() => string.Join(", ", Values.Select(v => $"{v.Key}={SweepPlan.Text(v.Value)}"));
}

/// <summary>The explicit, numbered list of cells of a sweep (the product of its axes, the last axis varying fastest),
/// and each cell's experiment: the base experiment with the sweep's fixed settings and the cell's values.</summary>
public static partial class SweepPlan
{
    /// <summary>An axis is a configuration path with a list of values, or a name with labelled sets of settings (e.g.
    /// <c>"method": { "replay": { "continual.type": "replay" }, "moelora": { "model.adapter.type": "moelora" } }</c>),
    /// for choices that are more than one value.</summary>
    private sealed record AxisValue(JsonNode? Shown, IReadOnlyList<(string Path, JsonNode? Value)> Assignments);

    private static List<AxisValue> Values(string key, JsonNode axis) => axis switch
    {
        JsonArray list => list.Select(v => new AxisValue(v, [(key, v)])).ToList(),
        JsonObject named => named.Select(kv => new AxisValue(JsonValue.Create(kv.Key),
            kv.Value is JsonObject settings ? settings.Select(s => (s.Key, s.Value)).ToList() : [])).ToList(),
        _ => [],
    };

    public static IReadOnlyList<SweepCell> Cells(SweepFile sweep)
    {
        var axes = sweep.Axes.Select(a => (a.Key, Values: Values(a.Key, a.Value!))).ToList();
        int count = axes.Aggregate(1, (n, a) => checked(n * a.Values.Count));
        var cells = new List<SweepCell>(count);
        for (int index = 0; index < count; index++)
        {
            var values = new List<(string, JsonNode?)>();
            var assignments = new List<(string, JsonNode?)>();
            int rest = index;
            for (int a = axes.Count - 1; a >= 0; a--)
            {
                var value = axes[a].Values[rest % axes[a].Values.Count];
                values.Insert(0, (axes[a].Key, value.Shown));
                assignments.InsertRange(0, value.Assignments);
                rest /= axes[a].Values.Count;
            }
            string name = $"{index:D3}-{Safe(string.Join("_", values.Select(v => $"{v.Item1}={Text(v.Item2)}")), "=+,")}";
            if (name.Length > 120) name = name[..120];
            var setting = values.Where(v => !string.Equals(v.Item1, "seed", StringComparison.OrdinalIgnoreCase)).Select(v => Safe(Text(v.Item2), "")).ToList();
            string runName = setting.Count == 0 ? sweep.Name : $"{sweep.Name}.{string.Join(".", setting)}";
            cells.Add(new SweepCell(index, values, assignments, name, runName, Path.Combine(sweep.Directory, name)));
        }
        return cells;
    }

    public static SweepCell Cell(SweepFile sweep, int index)
    {
        var cells = Cells(sweep);
        return index >= 0 && index < cells.Count ? cells[index]
            : throw new CoinUserException($"{sweep.Path}: cell {index} does not exist; the sweep has cells 0 to {cells.Count - 1}");
    }

    /// <summary>The key that, in a cell's settings, names the cell's base experiment file (relative to the sweep file)
    /// instead of the sweep's <c>experiment</c>: a method axis can then point at one recipe file per method
    /// (<c>"llaca": { "experiment": "../paper/llaca.json" }</c>).</summary>
    public const string ExperimentKey = "experiment";

    /// <summary>The full path of the cell's base experiment file, or null for none.</summary>
    public static string? ExperimentFileOf(SweepFile sweep, SweepCell cell)
    {
        var chosen = cell.Assignments.LastOrDefault(a => string.Equals(a.Path, ExperimentKey, StringComparison.OrdinalIgnoreCase));
        string? file = chosen.Path is null ? sweep.Experiment : chosen.Value?.ToString();
        return file is null ? null : Path.GetFullPath(file, sweep.Folder);
    }

    /// <summary>The cell's experiment as JSON: the base file (or {}), then <c>set</c>, then the cell's values, then its
    /// run name. Setting a component's <c>type</c> to another plugin drops the base's options for the old one.</summary>
    public static JsonObject Experiment(SweepFile sweep, SweepCell cell)
    {
        var root = ExperimentFileOf(sweep, cell) is { } file ? Coin.Engine.Configuration.ExperimentFile.Read(file) : new JsonObject();
        foreach (var (key, value) in sweep.Set) Assign(root, key, value);
        foreach (var (key, value) in cell.Assignments.Where(a => !string.Equals(a.Path, ExperimentKey, StringComparison.OrdinalIgnoreCase)))
            Assign(root, key, value);
        Assign(root, "name", cell.RunName);
        return root;
    }

    /// <summary>Sets a dotted path (keys matched case-insensitively, as configuration keys are), replacing lists whole.</summary>
    public static void Assign(JsonObject root, string path, JsonNode? value)
    {
        string[] keys = path.Split('.');
        var node = root;
        for (int i = 0; i < keys.Length - 1; i++)
        {
            string existing = Existing(node, keys[i]) ?? keys[i];
            if (node[existing] is not JsonObject child)
            {
                child = new JsonObject();
                node[existing] = child;
            }
            node = child;
        }
        string last = Existing(node, keys[^1]) ?? keys[^1];
        if (string.Equals(last, "type", StringComparison.OrdinalIgnoreCase))
            Coin.Engine.Configuration.ComponentTypeSwitch.DropStaleOptions(node, value?.ToString());
        node[last] = value?.DeepClone();
    }

    private static string? Existing(JsonObject node, string key) => Coin.Engine.Configuration.ComponentTypeSwitch.Existing(node, key);

    public static string Text(JsonNode? value) => value switch
    {
        null => "null",
        JsonArray list => string.Join("+", list.Select(Text)),
        JsonValue v when v.TryGetValue(out string? s) => s,
        _ => value.ToJsonString(),
    };

    private static string Safe(string text, string allowedExtra)
    {
        var safe = new StringBuilder(text.Length);
        foreach (char c in text) safe.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' || allowedExtra.Contains(c) ? c : '-');
        return Dashes().Replace(safe.ToString(), "-").Trim('-');
    }

    [GeneratedRegex("-{2,}")]
    private static partial Regex Dashes();
}
