using Coin.Abstractions.Plugins;
using Coin.Engine.Configuration;
using Coin.Host.Benchmarks;

namespace Coin.Host.Cli;

/// <summary>The parsed command line: <c>coin COMMAND [FILE] [options]</c>.</summary>
public sealed record CommandLine(
    string Command,
    string? ExperimentFile,
    IReadOnlyList<KeyValuePair<string, string?>> Overrides,
    IReadOnlyList<string> PluginDirectories)
{
    /// <summary>Options of <c>coin bench</c>.</summary>
    public BenchOptions Bench { get; init; } = new();

    /// <summary><c>coin run --plan</c>: describe the run and check it, train nothing.</summary>
    public bool PlanOnly { get; init; }

    /// <summary>For <c>coin --help</c>, <c>coin COMMAND --help</c>, completions and <c>coin completion SHELL</c>:
    /// the text printed (the command "help").</summary>
    public string HelpText { get; init; } = "";

    /// <summary>Run folders given to <c>coin compare</c> or <c>coin report</c>.</summary>
    public IReadOnlyList<string> RunDirectories { get; init; } = [];

    /// <summary>The run folder <c>coin run --resume</c> continues.</summary>
    public string? ResumeDirectory { get; init; }

    /// <summary><c>coin compare --loss-reference NAME</c>: the run name whose final training loss the others race to.</summary>
    public string? LossReference { get; init; }

    /// <summary><c>coin run --run-dir DIR</c>: run into exactly this absent or empty folder.</summary>
    public string? RunDirectory { get; init; }

    /// <summary>An experiment given as JSON instead of a file (a sweep's cell), with the folder its relative paths
    /// resolve against; set by <c>coin sweep</c>, not parsed from arguments.</summary>
    public System.Text.Json.Nodes.JsonObject? InlineExperiment { get; init; }
    public Coin.Engine.Configuration.ExperimentSource? InlineSource { get; init; }

    /// <summary>Options of <c>coin evaluate</c>.</summary>
    public EvaluateOptions? Evaluate { get; init; }

    /// <summary>Options of <c>coin export</c>.</summary>
    public ExportOptions? Export { get; init; }

    /// <summary>Options of <c>coin model</c>.</summary>
    public ModelOptions? Model { get; init; }

    /// <summary>Which option set which configuration key, for error messages.</summary>
    public OptionOrigins Origins { get; init; } = OptionOrigins.None;

    /// <summary>Options of <c>coin cache</c>.</summary>
    public CacheOptions? Cache { get; init; }

    /// <summary>Options of <c>coin sweep</c>.</summary>
    public SweepOptions Sweep { get; init; } = new();

    /// <summary>Where <c>coin compare</c> writes its plot.</summary>
    public string ComparisonPlot { get; init; } = "comparison.png";

    /// <summary>The words after <c>coin</c>.</summary>
    public static IReadOnlyList<string> Commands => new CommandTree().Commands;

    /// <summary>Parses the words after <c>coin</c> (<see cref="CommandTree"/> holds the grammar and the help).</summary>
    public static CommandLine Parse(IReadOnlyList<string> args) => new CommandTree().Parse(args);
}

/// <summary>What <c>coin sweep</c> was asked: the action, the sweep file, and the action's options.</summary>
public sealed record SweepOptions
{
    public static readonly IReadOnlyList<string> Actions = ["plan", "run", "status", "compare", "emit"];
    public string Action { get; init; } = "";
    public string File { get; init; } = "";
    public int? Cell { get; init; }
    public int? Local { get; init; }

    /// <summary>For <c>emit</c>: slurm or k8s.</summary>
    public string? Target { get; init; }
    public string Plot { get; init; } = "";
}

/// <summary><c>coin evaluate RUN_DIR --stage S --shard I/N</c> or <c>--merge N</c>.</summary>
public sealed record EvaluateOptions(string RunDirectory, string Stage, int Shard, int Count, bool Merge);

/// <summary><c>coin export RUN_DIR --stage S --out DIR</c>.</summary>
public sealed record ExportOptions(string RunDirectory, string Stage, string Out);

/// <summary><c>coin model init CONFIG --out DIR</c>.</summary>
public sealed record ModelOptions(string Config, string Out, int Seed, string DType, double ShardGigabytes);

/// <summary><c>coin cache list</c> or <c>coin cache clear [ENTRY...]</c>.</summary>
public sealed record CacheOptions(string Action, IReadOnlyList<string> Entries);
