using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Coin.Abstractions.Plugins;

namespace Coin.Host.Sweeps;

/// <summary>A sweep file: a base experiment, fixed settings and axes whose product is the list of cells.</summary>
/// <remarks>
/// <code>
/// { "name": "methods", "experiment": "../default.json", "set": { "training.epochs": 2 },
///   "axes": { "continual.type": ["sequential", "replay"], "seed": [1, 2, 3] },
///   "output": "runs/sweeps", "resources": { "cpus": 2, "memory": "8G", "time": "02:00:00" },
///   "slurm": { "partition": "gpu", "account": "lab" }, "kubernetes": { "image": "registry/coin:1", "volumeClaim": "coin-work" } }
/// </code>
/// Keys in <c>set</c> and <c>axes</c> are dotted configuration paths, values any JSON (a task order is a list). An
/// axis may instead name labelled sets of settings: <c>"method": { "replay": { "continual.type": "replay" },
/// "moelora": { "model.adapter.type": "moelora" } }</c>.
/// Relative paths are relative to the sweep file.</remarks>
public sealed record SweepFile
{
    [JsonRequired] public string Name { get; init; } = "";

    /// <summary>The base experiment file; absent: the built-in default.</summary>
    public string? Experiment { get; init; }

    public Dictionary<string, JsonNode?> Set { get; init; } = [];

    [JsonRequired] public JsonObject Axes { get; init; } = [];

    /// <summary>Folder of sweeps; the cells go to <c>{output}/{name}/{cell}/</c>.</summary>
    public string Output { get; init; } = "runs/sweeps";

    public SweepResources Resources { get; init; } = new();
    public SlurmSettings Slurm { get; init; } = new();
    public KubernetesSettings Kubernetes { get; init; } = new();

    /// <summary>The file's absolute path (set by <see cref="Load"/>).</summary>
    [JsonIgnore] public string Path { get; init; } = "";

    [JsonIgnore] public string Folder => System.IO.Path.GetDirectoryName(Path)!;

    /// <summary>Where this sweep's cells live.</summary>
    [JsonIgnore] public string Directory => System.IO.Path.Combine(System.IO.Path.GetFullPath(Output, Folder), Name);

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static SweepFile Load(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new CoinUserException($"{path}: sweep file not found");
        SweepFile sweep;
        try
        {
            sweep = JsonSerializer.Deserialize<SweepFile>(Coin.Nn.Files.InputFile.ReadJsonText(full, Coin.Nn.Files.InputFile.Limits.Experiment, "sweep file"), Options) ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new CoinUserException($"{path}: {e.Message.Split(" Path:")[0].TrimEnd('.')}{(e.Path is { } at ? $" (at {at})" : "")}");
        }
        sweep = sweep with { Path = full };
        var errors = new List<string>();
        if (!System.Text.RegularExpressions.Regex.IsMatch(sweep.Name, "^[A-Za-z0-9_][A-Za-z0-9._-]*$"))
            errors.Add($"name: '{sweep.Name}' must use letters, digits, '.', '_' or '-'");
        if (sweep.Axes.Count == 0) errors.Add("axes: at least one axis is needed");
        foreach (var (key, values) in sweep.Axes)
        {
            if (values is JsonObject { Count: > 0 } named)
            {
                foreach (var (label, settings) in named.Where(kv => kv.Value is not JsonObject))
                    errors.Add($"axes.{key}.{label}: expected an object of settings (configuration path → value)");
            }
            else if (values is not JsonArray { Count: > 0 })
                errors.Add($"axes.{key}: expected a non-empty list of values, or an object of named settings");
        }
        if (sweep.Experiment is { } experiment)
        {
            string file = System.IO.Path.GetFullPath(experiment, sweep.Folder);
            if (!File.Exists(file)) errors.Add($"experiment: '{file}' not found");
            else Coin.Engine.Configuration.ExperimentFile.Read(file); // names the line of a malformed base experiment, a key given twice, a broken "extends"
        }
        if (errors.Count > 0) throw new CoinUserException($"{path}: {string.Join("; ", errors)}");
        return sweep;
    }
}

/// <summary>What one cell needs, for the schedulers' requests (threads: <c>cpus</c>).</summary>
public sealed record SweepResources
{
    public int Cpus { get; init; } = 2;
    public string Memory { get; init; } = "8G";
    public string Time { get; init; } = "02:00:00";
    public int Gpus { get; init; }

    /// <summary>Cells running at once (Slurm's <c>%M</c>, Kubernetes' parallelism); 0: no limit.</summary>
    public int MaxParallel { get; init; }
}

public sealed record SlurmSettings
{
    public string? Partition { get; init; }
    public string? Account { get; init; }

    /// <summary>SIGTERM this many seconds before the time limit, so the cell checkpoints and requeues itself.</summary>
    public int SignalSeconds { get; init; } = 120;

    /// <summary>More <c>#SBATCH</c> lines, as written (e.g. "--qos=long").</summary>
    public List<string> Extra { get; init; } = [];
}

public sealed record KubernetesSettings
{
    public string Image { get; init; } = "coin:latest";
    public string? Namespace { get; init; }

    /// <summary>A PersistentVolumeClaim mounted at <see cref="WorkDir"/>: the repository, data, caches and runs.</summary>
    public string VolumeClaim { get; init; } = "coin-work";
    public string WorkDir { get; init; } = "/work";

    /// <summary>The coin command in the image.</summary>
    public List<string> Command { get; init; } = ["coin"];
}
