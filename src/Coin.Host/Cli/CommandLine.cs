using Coin.Abstractions.Plugins;
using Coin.Host.Configuration;

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

    /// <summary>For <c>coin COMMAND --help</c>: the command whose usage alone is printed.</summary>
    public string? HelpTopic { get; init; }

    /// <summary>The usage lines of one command (each of its forms and their descriptions), or everything.</summary>
    public static string UsageFor(string? command)
    {
        if (command is null) return Usage;
        var lines = Usage.Split('\n');
        var picked = new List<string>();
        bool inside = false;
        foreach (string line in lines)
        {
            // A command's form starts at the usage's first indent; deeper lines continue it (and may mention commands).
            string trimmed = line.TrimStart();
            bool form = line.Length - trimmed.Length == 2 && trimmed.StartsWith("coin ", StringComparison.Ordinal);
            if (form) inside = trimmed.StartsWith($"coin {command} ", StringComparison.Ordinal) || trimmed == $"coin {command}";
            else if (line.Trim().Length == 0 || !line.StartsWith("           ", StringComparison.Ordinal)) inside = false;
            if (inside) picked.Add(line);
        }
        if (picked.Count == 0) return Usage;
        // coin run takes the common options: its help lists them (and the configuration layers) instead of pointing away.
        string options = command == "run" ? "\n\n" + Usage[Usage.IndexOf("Options:", StringComparison.Ordinal)..].TrimEnd() : "";
        return string.Join('\n', picked) + options + "\n\nEvery other command: coin --help";
    }

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
    public Configuration.ExperimentSource? InlineSource { get; init; }

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

    public const string Usage = """
        Usage:
          coin run [FILE] [options]   train and evaluate an experiment (no FILE: the built-in default)
          coin run [FILE] --plan      what the run would do and cost (components, stages, parameters, memory,
                                      capability check) without training or writing; exit 2 when refused
          coin run --resume RUN_DIR   continue a stopped or killed run from its last checkpoint
          coin plugins [FILE] [--plugins DIR]
                                      list discovered plugins: kind, name, version, folder, status
          coin schema [FILE] [--plugins DIR]
                                      the JSON Schema of experiment files (host and plugin options) on stdout
          coin report RUN_DIR...      write report.md, report.html, plots and accuracy-matrix.csv
                                      again from results.json and steps.csv
          coin run FILE --run-dir DIR run into exactly this (absent or empty) folder
          coin evaluate RUN_DIR --stage STAGE --shard I/N | --merge N
                                      score one evaluation stage again in N parts from the weights the run
                                      kept (stages/STAGE.safetensors), then merge them and compare the scores
          coin export RUN_DIR --stage STAGE --out DIR
                                      that stage's model for other tools: DIR/peft (a PEFT LoRA adapter),
                                      DIR/merged (a Hugging Face folder with the adapter folded in),
                                      DIR/connector.safetensors
          coin model init CONFIG --out DIR [--seed N] [--dtype bfloat16|float32] [--shard-gb N]
                                      a randomly initialised Hugging Face folder of the shape CONFIG (a
                                      config.json: llama, or llava in the llava-hf layout) describes, written
                                      one tensor piece at a time, with a byte-level tokenizer
          coin cache list             the user-level cache every run shares (generated data, base models):
                                      $COIN_HOME, else $XDG_CACHE_HOME/coin, else ~/.cache/coin
          coin cache clear [ENTRY...] remove every entry (or those named as list shows them) not in use
          coin sweep plan SWEEP       the numbered cells of a sweep file (base experiment × axes)
          coin sweep run SWEEP --cell I | --local N
                                      run cell I into SWEEP_DIR/<cell>/ (done: skipped; interrupted: resumed),
                                      or every cell, N at a time on this machine
          coin sweep status SWEEP     each cell: done, running, interrupted, failed (with the error) or missing
          coin sweep compare SWEEP [--plot FILE.png]
                                      coin compare over the finished cells, naming missing and failed ones
          coin sweep emit slurm|k8s SWEEP
                                      an sbatch array script / a Kubernetes Indexed Job running every cell
          coin compare RUN_DIR... [--plot FILE.png] [--loss-reference NAME]
                                      one table of runs (mean ± std over runs with the same name) and a plot;
                                      with --loss-reference, final losses and steps to reach NAME's final loss
          coin bench [--suite hardware,profile,precision,overhead,generation,memory,frozen,input] [--presets tiny,small,d512]
                     [--steps N] [--batch N] [--tokens N] [--threads N] [--memory-steps N] [--blocks N]
                     [--peak-sizes N,N] [--overhead-blocks N] [--precision-steps N] [--out DIR]
                     [--model DIR] [--images DIR] [--workers N,N]
                                      speed and memory: the training step against the matmul peak, the host
                                      against a bare TorchSharp loop, generation with and without the cache,
                                      resident memory over many steps; frozen (with --model DIR): a folder's
                                      logits with its base stored as int8 and NF4 against bfloat16; input (with
                                      --images DIR): CLIP-336 images/s per worker and a step's wait for inputs
          coin --help | --version

        Options:
          --set KEY=VALUE    override a configuration value, e.g. --set training.learningRate=1e-4
          --device DEVICE    cpu (default), cuda or cuda:N
          --seed N           the experiment's seed
          --output DIR       folder that receives run folders, relative to the current directory
                             (default: runs, beside the experiment file)
          --plugins DIR      an extra plugin directory (repeatable)

        Configuration layers, later wins: FILE, environment variables COIN_<KEY> (__ separates levels),
        then the options above.
        """;

    /// <summary>The words after <c>coin</c>.</summary>
    public static readonly IReadOnlyList<string> Commands = ["run", "sweep", "evaluate", "export", "model", "cache", "plugins", "schema", "report", "compare", "bench"];

    /// <summary>Every option <c>coin run</c> and the commands parsed with it take, for suggestions.</summary>
    private static readonly IReadOnlyList<string> Options = ["--set", "--output", "--device", "--seed", "--plugins", "--resume", "--run-dir", "--plan",
        "--loss-reference", "--plot", "--presets", "--suite", "--memory-steps", "--peak-sizes", "--blocks", "--overhead-blocks", "--precision-steps",
        "--images", "--workers", "--model", "--out", "--steps", "--batch", "--tokens", "--threads", "--help"];

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0] is "-h" or "--help" or "help") return new("help", null, [], []);
        if (args[0] == "--version") return new("version", null, [], []);
        string command = args[0];
        if (!Commands.Contains(command))
            throw new CoinUserException($"unknown command '{command}';{Suggestions.DidYouMean(command, Commands)} accepted: {string.Join(", ", Commands)}, --help, --version");
        if (args.Skip(1).Any(a => a is "-h" or "--help")) return new("help", null, [], []) { HelpTopic = command };
        if (command == "evaluate") return new(command, null, [], []) { Evaluate = EvaluateOptions.Parse(args) };
        if (command == "export") return new(command, null, [], []) { Export = ExportOptions.Parse(args) };
        if (command == "model") return new(command, null, [], []) { Model = ModelOptions.Parse(args) };
        if (command == "sweep") return new(command, null, [], []) { Sweep = SweepOptions.Parse(args) };
        if (command == "cache") return new(command, null, [], []) { Cache = CacheOptions.Parse(args) };

        string? file = null;
        var bench = new BenchOptions();
        var runs = new List<string>();
        string plot = "comparison.png";
        string? resume = null;
        string? lossReference = null;
        string? runDirectory = null;
        bool planOnly = false;
        var overrides = new List<KeyValuePair<string, string?>>();
        var origins = new Dictionary<string, string>(StringComparer.Ordinal);
        void Override(KeyValuePair<string, string?> assignment, string option)
        {
            overrides.Add(assignment);
            origins[assignment.Key.Replace(':', '.').ToLowerInvariant()] = option;
        }
        var plugins = new List<string>();
        for (int i = 1; i < args.Count; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "-h" or "--help":
                    return new("help", null, [], []);
                case "--set" or "--device" or "--seed" or "--output" or "--plugins" when command is "compare" or "report":
                    // Accepting and ignoring them would let `coin compare --output DIR` look as if it wrote there.
                    throw new CoinUserException($"coin {command} takes no {arg}: " + (command == "compare"
                        ? "it writes comparison.csv and comparison.html beside the plot (--plot FILE.png)"
                        : "it writes each report into its run folder"));
                case "--set":
                    string assignment = Value(args, ref i);
                    Override(ParseAssignment(assignment), $"--set {assignment}");
                    break;
                case "--output":
                    // A folder typed on the command line is relative to where it was typed, not to the experiment file.
                    string output = Value(args, ref i);
                    if (string.IsNullOrWhiteSpace(output) || output.Contains('\0'))
                        throw new CoinUserException($"--output needs the path of a folder, not '{output.Replace("\0", "\\0")}'");
                    Override(new("output", Path.GetFullPath(output)), $"--output {output}");
                    break;
                case "--device" or "--seed":
                    string value = Value(args, ref i);
                    Override(new(arg[2..], value), $"{arg} {value}");
                    break;
                case "--plugins":
                    plugins.Add(Value(args, ref i));
                    break;
                case "--resume" when command == "run":
                    resume = Value(args, ref i);
                    break;
                case "--run-dir" when command == "run":
                    runDirectory = Value(args, ref i);
                    break;
                case "--plan" when command == "run":
                    planOnly = true;
                    break;
                case "--loss-reference" when command == "compare":
                    lossReference = Value(args, ref i);
                    break;
                case "--plot" when command == "compare":
                    plot = Value(args, ref i);
                    break;
                case "--presets" when command == "bench":
                    bench = bench with { Presets = Value(args, ref i).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) };
                    break;
                case "--suite" when command == "bench":
                    bench = bench with { Suites = Value(args, ref i).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) };
                    if (bench.Suites.FirstOrDefault(s => !BenchOptions.AllSuites.Contains(s)) is { } unknown)
                        throw new CoinUserException($"unknown bench suite '{unknown}'; accepted: {string.Join(", ", BenchOptions.AllSuites)}");
                    break;
                case "--memory-steps" when command == "bench":
                    bench = bench with { MemorySteps = PositiveInteger(arg, Value(args, ref i)) };
                    break;
                case "--peak-sizes" when command == "bench":
                    bench = bench with { PeakSizes = Value(args, ref i).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => PositiveInteger(arg, v)).ToList() };
                    break;
                case "--blocks" when command == "bench":
                    bench = bench with { Blocks = PositiveInteger(arg, Value(args, ref i)) };
                    break;
                case "--overhead-blocks" when command == "bench":
                    bench = bench with { OverheadBlocks = PositiveInteger(arg, Value(args, ref i)) };
                    break;
                case "--precision-steps" when command == "bench":
                    bench = bench with { PrecisionSteps = PositiveInteger(arg, Value(args, ref i)) };
                    break;
                case "--images" when command == "bench":
                    bench = bench with { ImagesFolder = Path.GetFullPath(Value(args, ref i)) };
                    break;
                case "--workers" when command == "bench":
                    bench = bench with { Workers = Value(args, ref i).Split(',').Select(w => PositiveInteger(arg, w)).ToList() };
                    break;
                case "--model" when command == "bench":
                    bench = bench with { ModelFolder = Path.GetFullPath(Value(args, ref i)) };
                    break;
                case "--out" when command == "bench":
                    bench = bench with { OutputFolder = Value(args, ref i) };
                    break;
                case "--steps" or "--batch" or "--tokens" or "--threads" when command == "bench":
                    int number = PositiveInteger(arg, Value(args, ref i));
                    bench = arg switch
                    {
                        "--steps" => bench with { Steps = number },
                        "--batch" => bench with { BatchSize = number },
                        "--tokens" => bench with { Tokens = number },
                        _ => bench with { Threads = number },
                    };
                    break;
                default:
                    if (arg.StartsWith('-')) throw new CoinUserException($"unknown option '{arg}';{Suggestions.DidYouMean(arg, Options)} see coin {command} --help");
                    if (command is "compare" or "report")
                    {
                        runs.Add(arg);
                        break;
                    }
                    if (file is not null) throw new CoinUserException($"unexpected argument '{arg}': only one experiment file is accepted");
                    file = arg;
                    break;
            }
        }
        if (command is "compare" or "report" && runs.Count == 0) throw new CoinUserException($"coin {command} needs at least one run folder");
        if (resume is not null && (file is not null || overrides.Count > 0 || plugins.Count > 0))
            throw new CoinUserException("coin run --resume takes no experiment file, --set, --seed, --device, --output or --plugins: a resumed run keeps the configuration it started with (its plugin folders are recorded in its experiment.json)");
        if (resume is not null && runDirectory is not null) throw new CoinUserException("coin run takes --resume or --run-dir, not both");
        return new(command, file, overrides, plugins)
        {
            Bench = bench, RunDirectories = runs, ComparisonPlot = plot, ResumeDirectory = resume, LossReference = lossReference, RunDirectory = runDirectory, PlanOnly = planOnly,
            Origins = new OptionOrigins(origins),
        };
    }

    private static int PositiveInteger(string option, string text)
        => int.TryParse(text, out int value) && value > 0 ? value : throw new CoinUserException($"option {option} expects a positive integer, got '{text}'");

    private static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count) throw new CoinUserException($"option {args[i]} needs a value");
        return args[++i];
    }

    private static KeyValuePair<string, string?> ParseAssignment(string text)
    {
        int eq = text.IndexOf('=');
        if (eq <= 0) throw new CoinUserException($"--set expects KEY=VALUE (e.g. training.epochs=2), got '{text}'");
        // Dotted keys as users write them; list items as key[0] or key.0.
        string key = text[..eq].Trim().Replace('.', ':').Replace("[", ":").Replace("]", "");
        return new(key, text[(eq + 1)..]);
    }
}

/// <summary>What <c>coin bench</c> measures.</summary>
public sealed record BenchOptions
{
    public static readonly IReadOnlyList<string> AllSuites = ["hardware", "profile", "precision", "overhead", "generation", "memory", "frozen", "input"];
    /// <summary>The suites run when none is named (<c>frozen</c> needs a model folder, <c>input</c> a folder of images).</summary>
    public IReadOnlyList<string> Suites { get; init; } = AllSuites.Where(s => s is not ("frozen" or "input")).ToList();

    /// <summary>The photographs of the input suite (<c>--images DIR</c>).</summary>
    public string? ImagesFolder { get; init; }

    /// <summary>Worker counts the input suite compares (<c>--workers N,N</c>).</summary>
    public IReadOnlyList<int> Workers { get; init; } = [1, 2];

    /// <summary>The model folder of the frozen suite (<c>--model DIR</c>).</summary>
    public string? ModelFolder { get; init; }
    public IReadOnlyList<string> Presets { get; init; } = ["tiny", "small", "d512"];

    /// <summary>Interleaved float32 / bfloat16 block pairs per preset in the hardware suite.</summary>
    public int Blocks { get; init; } = 3;

    /// <summary>Interleaved host / bare blocks in the overhead suite (the median decides).</summary>
    public int OverheadBlocks { get; init; } = 30;

    /// <summary>Steps of each loss curve in the precision suite.</summary>
    public int PrecisionSteps { get; init; } = 1000;

    /// <summary>Square matmul sizes whose best rate is the peak (the hardware suite).</summary>
    public IReadOnlyList<int> PeakSizes { get; init; } = [1024, 2048, 3072, 4096];

    /// <summary>Where suites that write files (plots, CSV) put them.</summary>
    public string OutputFolder { get; init; } = "bench";
    public int MemorySteps { get; init; } = 10_000;
    public int Steps { get; init; } = 10;
    public int BatchSize { get; init; } = 8;
    public int Tokens { get; init; } = 128;
    public int Threads { get; init; }
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

    public static SweepOptions Parse(IReadOnlyList<string> args)
    {
        if (args.Count < 2) throw new CoinUserException($"coin sweep needs an action: {string.Join(", ", Actions)} (see coin sweep --help)");
        if (!Actions.Contains(args[1]))
            throw new CoinUserException($"coin sweep: unknown action '{args[1]}';{Suggestions.DidYouMean(args[1], Actions)} accepted: {string.Join(", ", Actions)}");
        var options = new SweepOptions { Action = args[1] };
        int i = 2;
        if (options.Action == "emit")
        {
            if (args.Count < 3 || args[2] is not ("slurm" or "k8s")) throw new CoinUserException("coin sweep emit needs a target: slurm or k8s");
            options = options with { Target = args[2] };
            i = 3;
        }
        for (; i < args.Count; i++)
        {
            string arg = args[i];
            options = arg switch
            {
                "--cell" when options.Action == "run" => options with { Cell = NonNegative(arg, Next(args, ref i)) },
                "--local" when options.Action == "run" => options with { Local = Math.Max(1, NonNegative(arg, Next(args, ref i))) },
                "--plot" when options.Action == "compare" => options with { Plot = Next(args, ref i) },
                _ when arg.StartsWith('-') => throw new CoinUserException($"coin sweep {options.Action}: unknown option '{arg}';{Suggestions.DidYouMean(arg, ["--cell", "--local", "--plot"])} see coin sweep --help"),
                _ when options.File.Length == 0 => options with { File = arg },
                _ => throw new CoinUserException($"coin sweep {options.Action}: unexpected argument '{arg}'"),
            };
        }
        if (options.File.Length == 0) throw new CoinUserException($"coin sweep {options.Action} needs a sweep file");
        if (options.Action == "run" && (options.Cell is null) == (options.Local is null))
            throw new CoinUserException("coin sweep run needs --cell I (one cell, as a scheduler runs it) or --local N (every cell, N at a time)");
        return options;
    }

    private static string Next(IReadOnlyList<string> args, ref int i)
        => i + 1 < args.Count ? args[++i] : throw new CoinUserException($"option {args[i]} needs a value");

    private static int NonNegative(string option, string text)
        => int.TryParse(text, out int value) && value >= 0 ? value : throw new CoinUserException($"option {option} expects a non-negative integer, got '{text}'");
}

/// <summary><c>coin evaluate RUN_DIR --stage S --shard I/N</c> or <c>--merge N</c>.</summary>
public sealed record EvaluateOptions(string RunDirectory, string Stage, int Shard, int Count, bool Merge)
{
    public static EvaluateOptions Parse(IReadOnlyList<string> args)
    {
        string? run = null, stage = null;
        int shard = -1, count = 0;
        bool merge = false;
        for (int i = 1; i < args.Count; i++)
        {
            string arg = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new CoinUserException($"option {arg} needs a value");
            switch (arg)
            {
                case "--stage":
                    stage = Next();
                    break;
                case "--shard":
                    string text = Next();
                    var parts = text.Split('/');
                    if (parts.Length != 2 || !int.TryParse(parts[0], out shard) || !int.TryParse(parts[1], out count) || count < 1 || shard < 0 || shard >= count)
                        throw new CoinUserException($"--shard expects I/N with 0 <= I < N (e.g. 0/4), got '{text}'");
                    break;
                case "--merge":
                    if (!int.TryParse(Next(), out count) || count < 1) throw new CoinUserException("--merge expects the number of shards (e.g. 4)");
                    merge = true;
                    break;
                default:
                    if (arg.StartsWith('-') || run is not null) throw new CoinUserException($"coin evaluate: unexpected argument '{arg}'");
                    run = arg;
                    break;
            }
        }
        if (run is null || stage is null || count == 0 || merge == (shard >= 0))
            throw new CoinUserException("usage: coin evaluate RUN_DIR --stage STAGE (--shard I/N | --merge N); stages are the names in RUN_DIR/predictions/");
        return new EvaluateOptions(Path.GetFullPath(run), stage, shard, count, merge);
    }
}

/// <summary><c>coin export RUN_DIR --stage S --out DIR</c>.</summary>
public sealed record ExportOptions(string RunDirectory, string Stage, string Out)
{
    public static ExportOptions Parse(IReadOnlyList<string> args)
    {
        string? run = null, stage = null, output = null;
        for (int i = 1; i < args.Count; i++)
        {
            string arg = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new CoinUserException($"option {arg} needs a value");
            switch (arg)
            {
                case "--stage": stage = Next(); break;
                case "--out": output = Next(); break;
                default:
                    if (arg.StartsWith('-') || run is not null) throw new CoinUserException($"coin export: unexpected argument '{arg}'");
                    run = arg;
                    break;
            }
        }
        if (run is null || stage is null || output is null)
            throw new CoinUserException("usage: coin export RUN_DIR --stage STAGE --out DIR; stages are the names in RUN_DIR/predictions/");
        return new ExportOptions(Path.GetFullPath(run), stage, Path.GetFullPath(output));
    }
}

public sealed record ModelOptions(string Config, string Out, int Seed, string DType, double ShardGigabytes)
{
    public static ModelOptions Parse(IReadOnlyList<string> args)
    {
        const string usage = "usage: coin model init CONFIG --out DIR [--seed N] [--dtype bfloat16|float32] [--shard-gb N]";
        if (args.Count < 2 || args[1] != "init") throw new CoinUserException($"coin model: {(args.Count < 2 ? "needs an action" : $"unknown action '{args[1]}';{Suggestions.DidYouMean(args[1], ["init"])}")}; {usage}");
        string? config = null, output = null, dtype = "bfloat16";
        int seed = 0;
        double shard = 5;
        for (int i = 2; i < args.Count; i++)
        {
            string arg = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new CoinUserException($"option {arg} needs a value");
            switch (arg)
            {
                case "--out": output = Next(); break;
                case "--seed":
                    seed = int.TryParse(Next(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int n) ? n
                        : throw new CoinUserException($"--seed: '{args[i]}' is not an integer");
                    break;
                case "--dtype":
                    dtype = Next() is "bfloat16" or "float32" ? args[i] : throw new CoinUserException($"--dtype: '{args[i]}'; accepted: bfloat16, float32");
                    break;
                case "--shard-gb":
                    shard = double.TryParse(Next(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double gb) && gb > 0 && gb < 1e4 ? gb
                        : throw new CoinUserException($"--shard-gb: '{args[i]}' is not a positive number of gigabytes");
                    break;
                default:
                    if (arg.StartsWith('-') || config is not null) throw new CoinUserException($"coin model init: unexpected argument '{arg}'; {usage}");
                    config = arg;
                    break;
            }
        }
        if (config is null || output is null) throw new CoinUserException(usage);
        return new ModelOptions(Path.GetFullPath(config), Path.GetFullPath(output), seed, dtype!, shard);
    }
}

/// <summary><c>coin cache list</c> or <c>coin cache clear [ENTRY...]</c>.</summary>
public sealed record CacheOptions(string Action, IReadOnlyList<string> Entries)
{
    public static CacheOptions Parse(IReadOnlyList<string> args)
    {
        const string usage = "usage: coin cache list | coin cache clear [ENTRY...]";
        if (args.Count < 2 || args[1] is not ("list" or "clear"))
            throw new CoinUserException($"coin cache: {(args.Count < 2 ? "needs an action" : $"unknown action '{args[1]}';{Suggestions.DidYouMean(args[1], ["list", "clear"])}")}; {usage}");
        var entries = args.Skip(2).ToList();
        if (entries.FirstOrDefault(a => a.StartsWith('-')) is { } option) throw new CoinUserException($"coin cache {args[1]}: unknown option '{option}'; {usage}");
        if (args[1] == "list" && entries.Count > 0) throw new CoinUserException($"coin cache list: unexpected argument '{entries[0]}'; {usage}");
        return new CacheOptions(args[1], entries);
    }
}
