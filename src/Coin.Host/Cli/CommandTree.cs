using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;
using Coin.Abstractions.Plugins;
using Coin.Engine.Configuration;
using Coin.Host.Benchmarks;

namespace Coin.Host.Cli;

/// <summary>The <c>coin</c> command's grammar in System.CommandLine (the parser the <c>dotnet</c> CLI uses): every
/// command with its typed arguments and options, its help (<c>coin COMMAND --help</c>) and tab completion (the
/// <c>[suggest]</c> directive, which <c>coin completion bash</c> wires into the shell).</summary>
/// <remarks>Parsing yields the <see cref="CommandLine"/> the commands read. A mistake becomes one
/// <see cref="CoinUserException"/> in Coin's own words, with the closest accepted word ("did you mean"), so that
/// scripts and tests see the same messages as before System.CommandLine. Response files (<c>@file</c>) are off: a
/// token is never read as a file name unless a command says so.</remarks>
internal sealed class CommandTree
{
    private static readonly ParserConfiguration Settings = new() { ResponseFileTokenReplacer = null };

    /// <summary>What a mistake in each command's arguments is answered with.</summary>
    private readonly Dictionary<Command, string> usages = [];
    private readonly RootCommand root = new("Coin: multimodal instruction tuning and continual instruction tuning of LLMs, on TorchSharp. " +
        "coin COMMAND --help lists a command's arguments and options.");

    // coin run, plugins, schema and bench take these (each its own instance: a symbol has one parent command).
    private sealed class Common
    {
        public readonly Option<KeyValuePair<string, string?>[]> Set = new("--set") { HelpName = "KEY=VALUE", Description = "override a configuration value, e.g. --set training.learningRate=1e-4 (repeatable)", CustomParser = Assignments };
        public readonly Option<string?> Device = new("--device") { HelpName = "DEVICE", Description = "cpu (default), cuda or cuda:N" };
        public readonly Option<string?> Seed = new("--seed") { HelpName = "N", Description = "the experiment's seed" };
        public readonly Option<string?> Output = new("--output") { HelpName = "DIR", Description = "folder that receives run folders, relative to the current directory (default: runs, beside the experiment file)", CustomParser = OutputFolder };
        public readonly Option<string[]> Plugins = new("--plugins") { HelpName = "DIR", Description = "an extra plugin directory (repeatable)" };
        public readonly Argument<string?> File = new("FILE") { Arity = ArgumentArity.ZeroOrOne, Description = "the experiment file (JSON with comments); none: the built-in default" };

        public Option[] Options => [Set, Device, Seed, Output, Plugins];

        public void AddTo(Command command, bool withFile = true)
        {
            if (withFile) command.Arguments.Add(File);
            foreach (var option in Options) command.Options.Add(option);
        }
    }

    private readonly Common runCommon = new(), pluginsCommon = new(), schemaCommon = new(), benchCommon = new();
    private readonly Command run = new("run", "train and evaluate an experiment (no FILE: the built-in default). Configuration layers, later wins: " +
        "FILE, environment variables COIN_<KEY> (__ separates levels), then --set, --seed, --device and --output.");
    private readonly Option<string?> resume = new("--resume") { HelpName = "RUN_DIR", Description = "continue a stopped or killed run from its last checkpoint" };
    private readonly Option<string?> runDirectory = new("--run-dir") { HelpName = "DIR", Description = "run into exactly this (absent or empty) folder" };
    private readonly Option<bool> plan = new("--plan") { Description = "what the run would do and cost (components, stages, parameters, memory, capability check) without training or writing; exit 2 when refused" };

    private readonly Command plugins = new("plugins", "list discovered plugins: kind, name, version, folder, status");
    private readonly Command schema = new("schema", "the JSON Schema of experiment files (host and plugin options) on stdout");

    private readonly Command report = new("report", "write report.md, report.html, plots and accuracy-matrix.csv again from results.json and steps.csv");
    private readonly Argument<string[]> reportRuns = new("RUN_DIR") { Arity = ArgumentArity.OneOrMore, Description = "run folders" };
    private readonly Command compare = new("compare", "one table of runs (mean ± std over runs with the same name) and a plot; with --loss-reference, final losses and steps to reach NAME's final loss");
    private readonly Argument<string[]> compareRuns = new("RUN_DIR") { Arity = ArgumentArity.OneOrMore, Description = "run folders" };
    private readonly Option<string> comparePlot = new("--plot") { HelpName = "FILE.png", Description = "where the plot goes; comparison.csv and comparison.html go beside it", DefaultValueFactory = _ => "comparison.png" };
    private readonly Option<string?> lossReference = new("--loss-reference") { HelpName = "NAME", Description = "the run name whose final training loss the others race to" };

    private readonly Command evaluate = new("evaluate", "score one evaluation stage again in N parts from the weights the run kept (stages/STAGE.safetensors), then merge them and compare the scores");
    private readonly Argument<string> evaluateRun = new("RUN_DIR") { Description = "the run folder" };
    private readonly Option<string?> evaluateStage = new("--stage") { HelpName = "STAGE", Description = "a stage name of RUN_DIR/predictions/" };
    private readonly Option<(int Shard, int Count)?> shard = new("--shard") { HelpName = "I/N", Description = "score part I of N (0 <= I < N)", CustomParser = Shard };
    private readonly Option<int?> merge = new("--merge") { HelpName = "N", Description = "merge the N parts and compare their scores with the run's", CustomParser = r => Integer(r, 1, "--merge expects the number of shards (e.g. 4)") };

    private readonly Command export = new("export", "that stage's model for other tools: DIR/peft (a PEFT LoRA adapter), DIR/merged (a Hugging Face folder with the adapter folded in), DIR/connector.safetensors");
    private readonly Argument<string> exportRun = new("RUN_DIR") { Description = "the run folder" };
    private readonly Option<string?> exportStage = new("--stage") { HelpName = "STAGE", Description = "a stage name of RUN_DIR/predictions/" };
    private readonly Option<string?> exportOut = new("--out") { HelpName = "DIR", Description = "the folder to write" };

    private readonly Command model = new("model", "write model folders");
    private readonly Command modelInit = new("init", "a randomly initialised Hugging Face folder of the shape CONFIG (a config.json: llama, or llava in the llava-hf layout) describes, written one tensor piece at a time, with a byte-level tokenizer");
    private readonly Argument<string> modelConfig = new("CONFIG") { Description = "a config.json" };
    private readonly Option<string?> modelOut = new("--out") { HelpName = "DIR", Description = "the folder to write" };
    private readonly Option<int> modelSeed = new("--seed") { HelpName = "N", Description = "the random weights' seed (default 0)", CustomParser = r => Integer(r, int.MinValue, $"--seed: '{Single(r)}' is not an integer") ?? 0 };
    private readonly Option<string> modelDType = new("--dtype") { HelpName = "bfloat16|float32", Description = "the stored type (default bfloat16)", DefaultValueFactory = _ => "bfloat16", CustomParser = r => Single(r) is "bfloat16" or "float32" ? Single(r) : Error<string>(r, $"--dtype: '{Single(r)}'; accepted: bfloat16, float32") };
    private readonly Option<double> modelShard = new("--shard-gb") { HelpName = "N", Description = "gigabytes per safetensors shard (default 5)", DefaultValueFactory = _ => 5, CustomParser = ShardGigabytes };

    private readonly Command cache = new("cache", "the user-level cache every run shares (generated data, base models): $COIN_HOME, else $XDG_CACHE_HOME/coin, else ~/.cache/coin");
    private readonly Command cacheList = new("list", "each entry with its size, date and state");
    private readonly Command cacheClear = new("clear", "remove every entry (or those named as list shows them) not in use");
    private readonly Argument<string[]> cacheEntries = new("ENTRY") { Arity = ArgumentArity.ZeroOrMore, Description = "entries as coin cache list names them" };

    private readonly Command sweep = new("sweep", "grids of method × seed × task order × option: locally, on Slurm or on Kubernetes");
    private readonly Dictionary<Command, Argument<string>> sweepFiles = [];
    private readonly Option<int?> sweepCell = new("--cell") { HelpName = "I", Description = "run cell I into SWEEP_DIR/<cell>/ (done: skipped; interrupted: resumed), as a scheduler runs it", CustomParser = r => Integer(r, 0, $"option --cell expects a non-negative integer, got '{Single(r)}'") };
    private readonly Option<int?> sweepLocal = new("--local") { HelpName = "N", Description = "run every cell, N at a time on this machine", CustomParser = r => Integer(r, 0, $"option --local expects a non-negative integer, got '{Single(r)}'") };
    private readonly Option<string> sweepPlot = new("--plot") { HelpName = "FILE.png", Description = "where the comparison plot goes", DefaultValueFactory = _ => "" };

    private readonly Command bench = new("bench", "speed and memory: the training step against the matmul peak, the host against a bare TorchSharp loop, generation with and without the cache, resident memory over many steps; frozen (with --model DIR): a folder's logits with its base stored as int8 and NF4 against bfloat16; input (with --images DIR): CLIP-336 images/s per worker and a step's wait for inputs");
    private readonly Option<string[]> suites = new("--suite") { Arity = ArgumentArity.ExactlyOne, HelpName = string.Join(",", BenchOptions.AllSuites), Description = "which suites (default: all but frozen, input and products)", CustomParser = Suites };
    private readonly Option<string[]> presets = new("--presets") { Arity = ArgumentArity.ExactlyOne, HelpName = "tiny,small,d512", Description = "model presets", CustomParser = r => List(r) };
    private readonly Dictionary<string, Option<int?>> benchNumbers = new[]
    {
        ("--steps", "training steps per block"), ("--batch", "samples per step"), ("--tokens", "positions per sample"), ("--threads", "libtorch threads"),
        ("--memory-steps", "steps of the memory suite"), ("--blocks", "interleaved float32 / bfloat16 block pairs"), ("--overhead-blocks", "interleaved host / bare blocks"),
        ("--precision-steps", "steps of each precision loss curve"),
    }.ToDictionary(o => o.Item1, o => new Option<int?>(o.Item1) { HelpName = "N", Description = o.Item2, CustomParser = Positive });
    private readonly Option<int[]> peakSizes = new("--peak-sizes") { Arity = ArgumentArity.ExactlyOne, HelpName = "N,N", Description = "square matmul sizes whose best rate is the peak", CustomParser = PositiveList };
    private readonly Option<int[]> workers = new("--workers") { Arity = ArgumentArity.ExactlyOne, HelpName = "N,N", Description = "worker counts of the input suite", CustomParser = PositiveList };
    private readonly Option<string?> benchOut = new("--out") { HelpName = "DIR", Description = "where suites that write plots and CSV put them (default bench)" };
    private readonly Option<string?> benchModel = new("--model") { HelpName = "DIR", Description = "the model folder of the frozen suite" };
    private readonly Option<string?> images = new("--images") { HelpName = "DIR", Description = "photographs for the input suite" };

    private readonly Command completion = new("completion", "a shell script that completes coin's commands, options and files on Tab: source <(coin completion bash)");
    private readonly Argument<string> shell = new("SHELL") { Description = "bash or zsh" };

    public CommandTree()
    {
        // Coin's own --version line (contract and backend too) and no [diagram] or [env:…] directive: only [suggest].
        foreach (var option in root.Options.Where(o => o is VersionOption).ToList()) root.Options.Remove(option);
        foreach (var directive in root.Directives.Where(d => d is not SuggestDirective).ToList()) root.Directives.Remove(directive);
        // -h and --help; the Windows forms (/?, /h, -?) only crowd completions.
        foreach (var help in root.Options.OfType<HelpOption>())
            foreach (string alias in help.Aliases.Where(a => a is "/?" or "/h" or "-?").ToList()) help.Aliases.Remove(alias);
        root.Options.Add(new Option<bool>("--version") { Description = "coin's version, its plugin contract's, TorchSharp's and the torch backend" });

        runCommon.AddTo(run);
        Add(run, "coin run [FILE] [options] | coin run --resume RUN_DIR", resume, runDirectory, plan);
        pluginsCommon.AddTo(plugins);
        Add(plugins, "coin plugins [FILE] [--plugins DIR]");
        schemaCommon.AddTo(schema);
        Add(schema, "coin schema [FILE] [--plugins DIR]");

        Add(report, "coin report RUN_DIR...", reportRuns);
        Add(compare, "coin compare RUN_DIR... [--plot FILE.png] [--loss-reference NAME]", compareRuns, comparePlot, lossReference);
        Add(evaluate, "usage: coin evaluate RUN_DIR --stage STAGE (--shard I/N | --merge N); stages are the names in RUN_DIR/predictions/",
            evaluateRun, evaluateStage, shard, merge);
        Add(export, "usage: coin export RUN_DIR --stage STAGE --out DIR; stages are the names in RUN_DIR/predictions/", exportRun, exportStage, exportOut);

        const string modelUsage = "usage: coin model init CONFIG --out DIR [--seed N] [--dtype bfloat16|float32] [--shard-gb N]";
        Add(modelInit, modelUsage, modelConfig, modelOut, modelSeed, modelDType, modelShard);
        Add(model, modelUsage, modelInit);

        const string cacheUsage = "usage: coin cache list | coin cache clear [ENTRY...]";
        Add(cacheList, cacheUsage);
        Add(cacheClear, cacheUsage, cacheEntries);
        Add(cache, cacheUsage, cacheList, cacheClear);

        var emit = new Command("emit", "an sbatch array script (slurm) or a Kubernetes Indexed Job (k8s) running every cell")
        {
            SweepAction("slurm", "an sbatch array script that checkpoints on SIGTERM and requeues itself"),
            SweepAction("k8s", "a Kubernetes Indexed Job, one cell per index"),
        };
        Add(sweep, "coin sweep plan|run|status|compare|emit slurm|emit k8s SWEEP",
            SweepAction("plan", "the numbered cells of a sweep file (base experiment × axes)"),
            SweepAction("run", "run one cell (--cell I) or every cell, N at a time (--local N)", sweepCell, sweepLocal),
            SweepAction("status", "each cell: done, running, interrupted, failed (with the error) or missing"),
            SweepAction("compare", "coin compare over the finished cells, naming missing and failed ones", sweepPlot),
            emit);

        benchCommon.AddTo(bench, withFile: false);
        Add(bench, "coin bench [--suite ...] [options]", [suites, presets, peakSizes, workers, benchOut, benchModel, images, .. benchNumbers.Values]);

        shell.AcceptOnlyFromAmong("bash", "zsh");
        Add(completion, "usage: coin completion bash|zsh", shell);
        foreach (var command in new[] { run, plugins, schema, report, compare, evaluate, export, model, cache, sweep, bench, completion }) root.Subcommands.Add(command);
    }

    /// <summary>A sweep action: its SWEEP file argument and its options.</summary>
    private Command SweepAction(string name, string description, params Option[] options)
    {
        var action = new Command(name, description);
        var file = new Argument<string>("SWEEP") { Description = "the sweep file" };
        action.Arguments.Add(file);
        foreach (var option in options) action.Options.Add(option);
        sweepFiles[action] = file;
        return action;
    }

    /// <summary>Gives <paramref name="command"/> its arguments, options and actions, and the usage a mistake in it is
    /// answered with (a line starting "usage:" is quoted whole; another names the forms, see <see cref="UsageLine"/>).</summary>
    private void Add(Command command, string usage, params Symbol[] children)
    {
        usages[command] = usage;
        foreach (var child in children)
        {
            switch (child)
            {
                case Argument argument: command.Arguments.Add(argument); break;
                case Option option: command.Options.Add(option); break;
                case Command action: command.Subcommands.Add(action); break;
            }
        }
    }

    /// <summary>The command's "usage: ..." line, when a mistake in it is answered with one.</summary>
    private string? UsageLine(Command command)
        => usages.TryGetValue(command, out var usage) && usage.StartsWith("usage:", StringComparison.Ordinal) ? usage : null;

    /// <summary>The words after <c>coin</c>.</summary>
    public IReadOnlyList<string> Commands => root.Subcommands.Select(c => c.Name).ToList();

    public CommandLine Parse(IReadOnlyList<string> args)
    {
        if (args.Count > 0 && args[0] == "--version") return new("version", null, [], []);
        if (args.Count == 0 || args[0] == "help") return Printed(root.Parse(["--help"], Settings));
        var result = root.Parse(args, Settings);
        // Help and completions print and end; they win over mistakes elsewhere on the line, as in every dotnet tool.
        if (result.Action is HelpAction || root.Directives.OfType<SuggestDirective>().Any(d => result.GetResult(d) is not null)) return Printed(result);
        ThrowIfMistaken(result);
        var command = result.CommandResult.Command;
        if (sweepFiles.ContainsKey(command)) return Sweep(result, command);
        return command.Name switch
        {
            "run" or "plugins" or "schema" => Experiment(result, command.Name),
            "report" => new(command.Name, null, [], []) { RunDirectories = result.GetValue(reportRuns)! },
            "compare" => new(command.Name, null, [], [])
            {
                RunDirectories = result.GetValue(compareRuns)!, ComparisonPlot = result.GetValue(comparePlot)!, LossReference = result.GetValue(lossReference),
            },
            "evaluate" => Evaluate(result),
            "export" => Export(result),
            "init" => new("model", null, [], [])
            {
                Model = new ModelOptions(Path.GetFullPath(result.GetValue(modelConfig)!), Path.GetFullPath(result.GetValue(modelOut) ?? throw Usage(modelInit)),
                    result.GetValue(modelSeed), result.GetValue(modelDType)!, result.GetValue(modelShard)),
            },
            "list" or "clear" => new("cache", null, [], []) { Cache = new CacheOptions(command.Name, result.GetValue(cacheEntries) ?? []) },
            "bench" => Bench(result),
            "completion" => new("help", null, [], []) { HelpText = CompletionScript.For(result.GetValue(shell)!) },
            _ => throw new InvalidOperationException($"no mapping for command '{command.Name}'"),
        };
    }

    /// <summary>The printed text of a help or completion request.</summary>
    private static CommandLine Printed(ParseResult result)
    {
        var text = new StringWriter();
        var configuration = new InvocationConfiguration { Output = text, Error = text };
        if (result.Action is HelpAction help) help.MaxWidth = 120;
        result.Invoke(configuration);
        return new("help", null, [], []) { HelpText = text.ToString().TrimEnd() };
    }

    /// <summary>The first mistake on the line, in Coin's words: an unknown command, action or option (with the
    /// closest accepted one), a missing value, a value the option's parser refused, or the command's usage.</summary>
    private void ThrowIfMistaken(ParseResult result)
    {
        var command = result.CommandResult.Command;
        string path = CommandPath(result.CommandResult);
        // System.CommandLine binds an unknown "--word" to a command's argument (an experiment file, a run folder) when
        // one is free: it is an unknown option all the same.
        var misread = command.Arguments.SelectMany(a => result.GetResult(a)?.Tokens ?? []).Select(t => t.Value).Where(v => v.StartsWith('-') && v.Length > 1);
        if (misread.Concat(result.UnmatchedTokens).FirstOrDefault() is { } token)
        {
            if (token.StartsWith('-'))
            {
                // Accepting and ignoring them would let `coin compare --output DIR` look as if it wrote there.
                bool common = runCommon.Options.Any(o => o.Name == token);
                if (command == compare && common)
                    throw new CoinUserException($"coin compare takes no {token}: it writes comparison.csv and comparison.html beside the plot (--plot FILE.png)");
                if (command == report && common)
                    throw new CoinUserException($"coin report takes no {token}: it writes each report into its run folder");
                var accepted = command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal));
                throw new CoinUserException($"unknown option '{token}';{Suggestions.DidYouMean(token, accepted)} see {path} --help");
            }
            if (command == root)
                throw new CoinUserException($"unknown command '{token}';{Suggestions.DidYouMean(token, Commands)} accepted: {string.Join(", ", Commands)}, --help, --version");
            if (command.Subcommands.Count > 0)
            {
                var actions = command.Subcommands.Select(c => c.Name).ToList();
                throw new CoinUserException($"{path}: unknown action '{token}';{Suggestions.DidYouMean(token, actions)} accepted: {string.Join(", ", actions)}");
            }
            if (command == run || command == plugins || command == schema)
                throw new CoinUserException($"unexpected argument '{token}': only one experiment file is accepted");
            throw new CoinUserException($"{path}: unexpected argument '{token}'" + (UsageLine(command) is { } usage ? $"; {usage}" : ""));
        }
        if (result.Errors.Count == 0) return;
        var error = result.Errors[0];
        switch (error.SymbolResult)
        {
            case OptionResult option when option.Tokens.Count == 0 && option.Option.Arity.MinimumNumberOfValues > 0:
                throw new CoinUserException($"option {option.Option.Name} needs a value");
            case OptionResult or ArgumentResult { Tokens.Count: > 0 }:
                // A value an option's or argument's parser refused: its message names the option.
                throw new CoinUserException(error.Message);
        }
        if (command.Subcommands.Count > 0 && !result.CommandResult.Children.Any())
        {
            var actions = command.Subcommands.Select(c => c.Name).ToList();
            throw new CoinUserException(command == root ? "a command is needed; see coin --help"
                : UsageLine(command) is { } usage
                    ? $"{path}: needs an action; {usage}"
                    : $"{path} needs an action: {string.Join(", ", actions)} (see {path} --help)");
        }
        if (command == compare || command == report) throw new CoinUserException($"coin {command.Name} needs at least one run folder");
        if (sweepFiles.ContainsKey(command)) throw new CoinUserException($"{path} needs a sweep file");
        throw new CoinUserException(UsageLine(command) ?? $"{path}: {error.Message}");
    }

    /// <summary>"coin sweep emit" for the emit command's result.</summary>
    private string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is CommandResult c; r = r.Parent) names.Insert(0, c.Command == root ? "coin" : c.Command.Name);
        return string.Join(' ', names);
    }

    private CoinUserException Usage(Command command) => new(usages[command]);

    private CommandLine Experiment(ParseResult result, string name)
    {
        var common = name switch { "run" => runCommon, "plugins" => pluginsCommon, _ => schemaCommon };
        var (overrides, origins) = Overrides(result, common);
        var plugins = result.GetValue(common.Plugins) ?? [];
        string? file = result.GetValue(common.File);
        string? resumed = name == "run" ? result.GetValue(resume) : null;
        string? into = name == "run" ? result.GetValue(runDirectory) : null;
        if (resumed is not null && (file is not null || overrides.Count > 0 || plugins.Length > 0))
            throw new CoinUserException("coin run --resume takes no experiment file, --set, --seed, --device, --output or --plugins: a resumed run keeps the configuration it started with (its plugin folders are recorded in its experiment.json)");
        if (resumed is not null && into is not null) throw new CoinUserException("coin run takes --resume or --run-dir, not both");
        return new(name, file, overrides, plugins)
        {
            ResumeDirectory = resumed, RunDirectory = into, PlanOnly = name == "run" && result.GetValue(plan), Origins = new OptionOrigins(origins),
        };
    }

    /// <summary>The configuration keys the options set, in the order given, and which option set each (for errors).</summary>
    private static (List<KeyValuePair<string, string?>> Overrides, Dictionary<string, string> Origins) Overrides(ParseResult result, Common common)
    {
        var overrides = new List<KeyValuePair<string, string?>>();
        var origins = new Dictionary<string, string>(StringComparer.Ordinal);
        // The command line's order decides between a --set and --seed of the same key: later wins.
        var given = new List<(int Position, string Key, string? Value, string Origin)>();
        // Each token with the assignment it makes (--set's are parsed by its option, in the tokens' order).
        void From(Option option, Func<int, string, KeyValuePair<string, string?>> assign)
        {
            if (result.GetResult(option) is not { } found) return;
            for (int i = 0; i < found.Tokens.Count; i++)
            {
                var token = found.Tokens[i];
                var (key, value) = assign(i, token.Value);
                given.Add((Position(result, token), key, value, $"{option.Name} {token.Value}"));
            }
        }
        var assignments = result.GetValue(common.Set) ?? [];
        From(common.Set, (i, _) => assignments[i]);
        From(common.Device, (_, text) => new("device", text));
        From(common.Seed, (_, text) => new("seed", text));
        // A folder typed on the command line is relative to where it was typed, not to the experiment file.
        From(common.Output, (_, text) => new("output", Path.GetFullPath(text)));
        foreach (var (_, key, value, origin) in given.OrderBy(g => g.Position))
        {
            overrides.Add(new(key, value));
            origins[key.Replace(':', '.').ToLowerInvariant()] = origin;
        }
        return (overrides, origins);
    }

    private static int Position(ParseResult result, Token token)
    {
        for (int i = 0; i < result.Tokens.Count; i++)
            if (ReferenceEquals(result.Tokens[i], token)) return i;
        return int.MaxValue;
    }

    private CommandLine Evaluate(ParseResult result)
    {
        string? stage = result.GetValue(evaluateStage);
        var part = result.GetValue(shard);
        int? count = result.GetValue(merge);
        if (stage is null || (part is null) == (count is null)) throw Usage(evaluate);
        return new("evaluate", null, [], [])
        {
            Evaluate = new EvaluateOptions(Path.GetFullPath(result.GetValue(evaluateRun)!), stage, part?.Shard ?? -1, part?.Count ?? count!.Value, Merge: count is not null),
        };
    }

    private CommandLine Export(ParseResult result)
    {
        string? stage = result.GetValue(exportStage), output = result.GetValue(exportOut);
        if (stage is null || output is null) throw Usage(export);
        return new("export", null, [], []) { Export = new ExportOptions(Path.GetFullPath(result.GetValue(exportRun)!), stage, Path.GetFullPath(output)) };
    }

    private CommandLine Sweep(ParseResult result, Command action)
    {
        bool emitting = result.CommandResult.Parent is CommandResult { Command.Name: "emit" };
        var options = new SweepOptions
        {
            Action = emitting ? "emit" : action.Name, Target = emitting ? action.Name : null, File = result.GetValue(sweepFiles[action])!,
            Cell = action.Name == "run" ? result.GetValue(sweepCell) : null,
            Local = action.Name == "run" && result.GetValue(sweepLocal) is { } local ? Math.Max(1, local) : null,
            Plot = action.Name == "compare" ? result.GetValue(sweepPlot)! : "",
        };
        if (options.Action == "run" && (options.Cell is null) == (options.Local is null))
            throw new CoinUserException("coin sweep run needs --cell I (one cell, as a scheduler runs it) or --local N (every cell, N at a time)");
        return new("sweep", null, [], []) { Sweep = options };
    }

    private CommandLine Bench(ParseResult result)
    {
        var (overrides, origins) = Overrides(result, benchCommon);
        var options = new BenchOptions();
        // A list option not given reads as an empty list: only a given one replaces the default.
        T[]? Given<T>(Option<T[]> option) => result.GetResult(option) is null ? null : result.GetValue(option);
        if (Given(suites) is { } named) options = options with { Suites = named };
        if (Given(presets) is { } chosen) options = options with { Presets = chosen };
        if (Given(peakSizes) is { } sizes) options = options with { PeakSizes = sizes };
        if (Given(workers) is { } counts) options = options with { Workers = counts };
        if (result.GetValue(benchOut) is { } output) options = options with { OutputFolder = output };
        if (result.GetValue(benchModel) is { } folder) options = options with { ModelFolder = Path.GetFullPath(folder) };
        if (result.GetValue(images) is { } photos) options = options with { ImagesFolder = Path.GetFullPath(photos) };
        int? Number(string name) => result.GetValue(benchNumbers[name]);
        options = options with
        {
            Steps = Number("--steps") ?? options.Steps, BatchSize = Number("--batch") ?? options.BatchSize, Tokens = Number("--tokens") ?? options.Tokens,
            Threads = Number("--threads") ?? options.Threads, MemorySteps = Number("--memory-steps") ?? options.MemorySteps, Blocks = Number("--blocks") ?? options.Blocks,
            OverheadBlocks = Number("--overhead-blocks") ?? options.OverheadBlocks, PrecisionSteps = Number("--precision-steps") ?? options.PrecisionSteps,
        };
        return new("bench", null, overrides, result.GetValue(benchCommon.Plugins) ?? []) { Bench = options, Origins = new OptionOrigins(origins) };
    }

    // Value parsers: each names its option and what it expected, as Coin's messages always did.

    private static string Single(ArgumentResult r) => r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";

    private static T Error<T>(ArgumentResult r, string message)
    {
        r.AddError(message);
        return default!;
    }

    private static string OptionName(ArgumentResult r) => r.Parent is OptionResult o ? o.Option.Name : r.Argument.Name;

    /// <summary>--set's tokens as configuration assignments, one per token.</summary>
    private static KeyValuePair<string, string?>[] Assignments(ArgumentResult r)
    {
        var assignments = new KeyValuePair<string, string?>[r.Tokens.Count];
        for (int i = 0; i < assignments.Length; i++)
        {
            string text = r.Tokens[i].Value;
            int eq = text.IndexOf('=');
            if (eq <= 0) return Error<KeyValuePair<string, string?>[]>(r, $"--set expects KEY=VALUE (e.g. training.epochs=2), got '{text}'");
            // Dotted keys as users write them; list items as key[0] or key.0.
            assignments[i] = new(text[..eq].Trim().Replace('.', ':').Replace("[", ":").Replace("]", ""), text[(eq + 1)..]);
        }
        return assignments;
    }

    private static string? OutputFolder(ArgumentResult r)
    {
        string output = Single(r);
        return string.IsNullOrWhiteSpace(output) || output.Contains('\0')
            ? Error<string?>(r, $"--output needs the path of a folder, not '{output.Replace("\0", "\\0")}'")
            : output;
    }

    private static int? Integer(ArgumentResult r, int minimum, string message)
        => int.TryParse(Single(r), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= minimum ? value : Error<int?>(r, message);

    private static int? Positive(ArgumentResult r) => Integer(r, 1, $"option {OptionName(r)} expects a positive integer, got '{Single(r)}'");

    private static string[] List(ArgumentResult r) => Single(r).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static int[] PositiveList(ArgumentResult r)
    {
        var values = new List<int>();
        foreach (string text in Single(r).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < 1)
                return Error<int[]>(r, $"option {OptionName(r)} expects a positive integer, got '{text}'");
            values.Add(value);
        }
        return values.ToArray();
    }

    private static string[] Suites(ArgumentResult r)
    {
        var named = List(r);
        return named.FirstOrDefault(s => !BenchOptions.AllSuites.Contains(s)) is { } unknown
            ? Error<string[]>(r, $"unknown bench suite '{unknown}';{Suggestions.DidYouMean(unknown, BenchOptions.AllSuites)} accepted: {string.Join(", ", BenchOptions.AllSuites)}")
            : named;
    }

    private static (int, int)? Shard(ArgumentResult r)
    {
        string text = Single(r);
        var parts = text.Split('/');
        return parts.Length == 2 && int.TryParse(parts[0], out int shard) && int.TryParse(parts[1], out int count) && count >= 1 && shard >= 0 && shard < count
            ? (shard, count)
            : Error<(int, int)?>(r, $"--shard expects I/N with 0 <= I < N (e.g. 0/4), got '{text}'");
    }

    private static double ShardGigabytes(ArgumentResult r)
        => double.TryParse(Single(r), NumberStyles.Float, CultureInfo.InvariantCulture, out double gb) && gb > 0 && gb < 1e4 ? gb
            : Error<double>(r, $"--shard-gb: '{Single(r)}' is not a positive number of gigabytes");
}
