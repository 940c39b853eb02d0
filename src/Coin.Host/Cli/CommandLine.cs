using Coin.Abstractions.Plugins;

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

    /// <summary>Run folders given to <c>coin compare</c> or <c>coin report</c>.</summary>
    public IReadOnlyList<string> RunDirectories { get; init; } = [];

    /// <summary>The run folder <c>coin run --resume</c> continues.</summary>
    public string? ResumeDirectory { get; init; }

    /// <summary><c>coin compare --loss-reference NAME</c>: the run name whose final training loss the others race to.</summary>
    public string? LossReference { get; init; }

    /// <summary>Where <c>coin compare</c> writes its plot.</summary>
    public string ComparisonPlot { get; init; } = "comparison.png";

    public const string Usage = """
        Usage:
          coin run [FILE] [options]   train and evaluate an experiment (no FILE: the built-in default)
          coin run --resume RUN_DIR   continue a stopped or killed run from its last checkpoint
          coin plugins [FILE] [--plugins DIR]
                                      list discovered plugins: kind, name, version, folder, status
          coin report RUN_DIR...      write report.md, plots and accuracy-matrix.csv again from results.json
                                      and steps.csv
          coin compare RUN_DIR... [--plot FILE.png] [--loss-reference NAME]
                                      one table of runs (mean ± std over runs with the same name) and a plot;
                                      with --loss-reference, final losses and steps to reach NAME's final loss
          coin bench [--suite hardware,overhead,generation,memory] [--presets tiny,d512] [--steps N]
                     [--batch N] [--tokens N] [--threads N] [--memory-steps N]
                                      speed and memory: the training step against the matmul peak, the host
                                      against a bare TorchSharp loop, generation with and without the cache,
                                      resident memory over many steps
          coin --help | --version

        Options:
          --set KEY=VALUE    override a configuration value, e.g. --set training.learningRate=1e-4
          --device DEVICE    cpu (default), cuda or cuda:N
          --seed N           the experiment's seed
          --output DIR       folder that receives run folders (default: runs)
          --plugins DIR      an extra plugin directory (repeatable)

        Configuration layers, later wins: FILE, environment variables COIN_<KEY> (__ separates levels),
        then the options above.
        """;

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0] is "-h" or "--help" or "help") return new("help", null, [], []);
        if (args[0] == "--version") return new("version", null, [], []);
        string command = args[0];
        if (command is not ("run" or "plugins" or "bench" or "compare" or "report"))
            throw new CoinUserException($"unknown command '{command}'; accepted: run, plugins, report, compare, bench, --help, --version");

        string? file = null;
        var bench = new BenchOptions();
        var runs = new List<string>();
        string plot = "comparison.png";
        string? resume = null;
        string? lossReference = null;
        var overrides = new List<KeyValuePair<string, string?>>();
        var plugins = new List<string>();
        for (int i = 1; i < args.Count; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "-h" or "--help":
                    return new("help", null, [], []);
                case "--set":
                    overrides.Add(ParseAssignment(Value(args, ref i)));
                    break;
                case "--device" or "--seed" or "--output":
                    overrides.Add(new(arg[2..], Value(args, ref i)));
                    break;
                case "--plugins":
                    plugins.Add(Value(args, ref i));
                    break;
                case "--resume" when command == "run":
                    resume = Value(args, ref i);
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
                    if (arg.StartsWith('-')) throw new CoinUserException($"unknown option '{arg}'; see coin --help");
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
        return new(command, file, overrides, plugins) { Bench = bench, RunDirectories = runs, ComparisonPlot = plot, ResumeDirectory = resume, LossReference = lossReference };
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
    public static readonly IReadOnlyList<string> AllSuites = ["hardware", "overhead", "generation", "memory"];
    public IReadOnlyList<string> Suites { get; init; } = AllSuites;
    public IReadOnlyList<string> Presets { get; init; } = ["tiny", "d512"];
    public int MemorySteps { get; init; } = 10_000;
    public int Steps { get; init; } = 10;
    public int BatchSize { get; init; } = 8;
    public int Tokens { get; init; } = 128;
    public int Threads { get; init; }
}
