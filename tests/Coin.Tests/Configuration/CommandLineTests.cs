using Coin.Abstractions.Plugins;
using Coin.Engine.Configuration;
using Coin.Host.Benchmarks;
using Coin.Host.Cli;
using Coin.Tests.Support;

namespace Coin.Tests.Configuration;

public class CommandLineTests
{
    [Test]
    public void SetOptionsBecomeConfigurationKeys()
    {
        var line = CommandLine.Parse(["run", "exp.json", "--set", "training.learningRate=1e-4", "--set", "data.options.tasks[1]=shape", "--device", "cuda:1"]);
        Assert.That(line.Command, Is.EqualTo("run"));
        Assert.That(line.ExperimentFile, Is.EqualTo("exp.json"));
        Assert.That(line.Overrides, Is.EqualTo(new[]
        {
            KeyValuePair.Create("training:learningRate", (string?)"1e-4"),
            KeyValuePair.Create("data:options:tasks:1", (string?)"shape"),
            KeyValuePair.Create("device", (string?)"cuda:1"),
        }));
    }

    [Test]
    public void A_relative_output_on_the_command_line_is_relative_to_the_current_directory()
    {
        // Not to the experiment file's folder, as paths inside the file are.
        var line = CommandLine.Parse(["run", "experiments/quick.json", "--output", "my-runs"]);
        Assert.That(line.Overrides.Single(o => o.Key == "output").Value, Is.EqualTo(Path.Combine(Directory.GetCurrentDirectory(), "my-runs")));
    }

    [Test]
    public void A_word_starting_with_an_at_sign_is_a_file_name_not_a_response_file_read_for_more_arguments()
    {
        string directory = TestPaths.NewTemporaryDirectory("cli-response-file");
        string file = Path.Combine(directory, "args.txt");
        File.WriteAllText(file, "--set training.epochs=9");
        var line = CommandLine.Parse(["run", "@" + file]);
        Assert.That(line.ExperimentFile, Is.EqualTo("@" + file));
        Assert.That(line.Overrides, Is.Empty);
    }

    [Test]
    public void Bench_options_not_given_keep_their_defaults()
    {
        var defaults = new BenchOptions();
        var bench = CommandLine.Parse(["bench", "--suite", "precision"]).Bench;
        Assert.That(bench.Suites, Is.EqualTo(new[] { "precision" }));
        Assert.That(bench.Presets, Is.EqualTo(defaults.Presets));
        Assert.That(bench.PeakSizes, Is.EqualTo(defaults.PeakSizes));
        Assert.That(bench.Workers, Is.EqualTo(defaults.Workers));
        Assert.That(CommandLine.Parse(["bench"]).Bench.Suites, Is.EqualTo(defaults.Suites));
        Assert.That(CommandLine.Parse(["bench", "--presets", "tiny,small", "--workers", "1,3"]).Bench, Has.Property("Presets").EqualTo(new[] { "tiny", "small" }).And.Property("Workers").EqualTo(new[] { 1, 3 }));
    }

    [Test]
    public void Later_options_win_in_the_order_given()
    {
        var line = CommandLine.Parse(["run", "--seed", "3", "--set", "seed=4", "--device=cpu"]);
        Assert.That(line.Overrides, Is.EqualTo(new[] { KeyValuePair.Create("seed", (string?)"3"), KeyValuePair.Create("seed", (string?)"4"), KeyValuePair.Create("device", (string?)"cpu") }));
        Assert.That(line.Origins.OptionOf["seed"], Is.EqualTo("--set seed=4"));
    }

    [TestCase(new[] { "train" }, "unknown command 'train'")]
    [TestCase(new[] { "rnu" }, "unknown command 'rnu'; did you mean 'run'?")]
    [TestCase(new[] { "sweep", "plna", "s.json" }, "coin sweep: unknown action 'plna'; did you mean 'plan'?")]
    [TestCase(new[] { "sweep", "run", "s.json", "--locl", "2" }, "unknown option '--locl'; did you mean '--local'?")]
    [TestCase(new[] { "cache", "lsit" }, "unknown action 'lsit'; did you mean 'list'?")]
    [TestCase(new[] { "run", "--sede", "3" }, "unknown option '--sede'; did you mean '--seed'?")]
    [TestCase(new[] { "run", "--zzzzzzzz" }, "unknown option '--zzzzzzzz'; see coin run --help")]
    [TestCase(new[] { "run", "--frobnicate" }, "unknown option '--frobnicate'")]
    [TestCase(new[] { "run", "--set", "noequals" }, "--set expects KEY=VALUE")]
    [TestCase(new[] { "run", "--device" }, "option --device needs a value")]
    [TestCase(new[] { "run", "a.json", "b.json" }, "only one experiment file")]
    [TestCase(new[] { "run", "--output", "" }, "--output needs the path of a folder")]
    [TestCase(new[] { "run", "--output", "a\0b" }, "--output needs the path of a folder, not 'a\\0b'")]
    [TestCase(new[] { "compare", "runs/a", "--output", "elsewhere" }, "coin compare takes no --output: it writes comparison.csv and comparison.html beside the plot")]
    [TestCase(new[] { "report", "runs/a", "--seed", "3" }, "coin report takes no --seed")]
    [TestCase(new[] { "sweep" }, "coin sweep needs an action: plan, run, status, compare, emit")]
    [TestCase(new[] { "sweep", "run", "s.json" }, "coin sweep run needs --cell I")]
    [TestCase(new[] { "sweep", "emit", "slrum", "s.json" }, "unknown action 'slrum'; did you mean 'slurm'?")]
    [TestCase(new[] { "cache", "list", "x" }, "unexpected argument 'x'")]
    [TestCase(new[] { "evaluate", "runs/a", "--stage", "s" }, "usage: coin evaluate RUN_DIR")]
    [TestCase(new[] { "evaluate", "runs/a", "--stage", "s", "--shard", "4/4" }, "--shard expects I/N with 0 <= I < N")]
    [TestCase(new[] { "model", "init", "c.json" }, "usage: coin model init")]
    [TestCase(new[] { "model", "init", "c.json", "--out", "d", "--dtype", "fp8" }, "--dtype: 'fp8'; accepted: bfloat16, float32")]
    [TestCase(new[] { "bench", "--suite", "hardwre" }, "unknown bench suite 'hardwre'; did you mean 'hardware'?")]
    [TestCase(new[] { "bench", "--steps", "0" }, "option --steps expects a positive integer, got '0'")]
    [TestCase(new[] { "compare" }, "coin compare needs at least one run folder")]
    [TestCase(new[] { "run", "--resume", "runs/a", "--seed", "2" }, "coin run --resume takes no experiment file")]
    public void MistakesAreUserErrors(string[] args, string expected)
    {
        // (Nothing close to "--zzzzzzzz": no suggestion.)
        var error = Assert.Throws<CoinUserException>(() => CommandLine.Parse(args));
        Assert.That(error!.Message, Does.Contain(expected));
    }
}

public class CommandHelpTests
{
    [TestCase("compare", "compare <RUN_DIR>...", "--precision-steps")]
    [TestCase("bench", "--precision-steps", "<RUN_DIR>")]
    [TestCase("schema", "schema [<FILE>]", "--resume")]
    public void Help_after_a_command_prints_that_commands_usage(string command, string expected, string absent)
    {
        var parsed = CommandLine.Parse([command, "--help"]);
        Assert.That(parsed.Command, Is.EqualTo("help"));
        Assert.That(parsed.HelpText, Does.Contain(expected).And.Not.Contain(absent));
    }

    [Test]
    public void Coin_run_help_lists_the_common_options()
    {
        string usage = CommandLine.Parse(["run", "--help"]).HelpText;
        foreach (string option in new[] { "--set <KEY=VALUE>", "--seed <N>", "--device <DEVICE>", "--output <DIR>", "--plugins <DIR>", "--resume <RUN_DIR>", "--plan", "Configuration layers" })
            Assert.That(usage, Does.Contain(option));
        Assert.That(usage, Does.Not.Contain("sweep"), "only coin run's forms");
    }

    [Test]
    public void Coin_alone_lists_every_command()
    {
        string usage = CommandLine.Parse([]).HelpText;
        foreach (string command in CommandLine.Commands) Assert.That(usage, Does.Contain(command));
        Assert.That(CommandLine.Parse(["sweep", "emit", "--help"]).HelpText, Does.Contain("slurm").And.Contain("k8s"));
    }

    [TestCase("coin run --se", new[] { "--seed", "--set" }, "--plan")]
    [TestCase("coin sweep ", new[] { "plan", "run", "status", "compare", "emit" }, "--seed")]
    [TestCase("coin bench --suite hardware --pr", new[] { "--presets", "--precision-steps" }, "--plan")]
    [TestCase("coin ca", new[] { "cache" }, "compare")]
    public void Tab_completion_offers_what_may_come_next(string line, string[] offered, string absent)
    {
        string text = CommandLine.Parse([$"[suggest:{line.Length}]", line]).HelpText;
        var words = text.Split('\n', StringSplitOptions.TrimEntries);
        Assert.That(words, Is.SupersetOf(offered), text);
        Assert.That(words, Does.Not.Contain(absent), text);
    }

    [Test]
    public void The_completion_script_asks_coin_itself()
    {
        Assert.That(CommandLine.Parse(["completion", "bash"]).HelpText, Does.Contain("[suggest:${COMP_POINT}]").And.Contain("complete -o default"));
        Assert.That(CommandLine.Parse(["completion", "zsh"]).HelpText, Does.Contain("compdef"));
        Assert.Throws<CoinUserException>(() => CommandLine.Parse(["completion", "fish"]));
    }

    [TestCase("epocs", new[] { "epochs", "batchSize" }, "epochs")]
    [TestCase("lerningRate", new[] { "learningRate", "learningRates" }, "learningRate")]
    [TestCase("sed", new[] { "seed", "device" }, "seed")]
    [TestCase("lsit", new[] { "list", "clear" }, "list")]
    [TestCase("frobnicate", new[] { "run", "sweep" }, null)]
    public void A_suggestion_is_the_closest_word_within_a_typos_distance(string word, string[] accepted, string? expected)
        => Assert.That(Suggestions.Closest(word, accepted), Is.EqualTo(expected));
}

/// <summary>The bash completion script, sourced into a real bash, asking the built <c>coin</c> for completions.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class CompletionScriptTests
{
    [TestCase("coin sweep em", "emit")]
    [TestCase("coin run --pl", "--plan\n--plugins")]
    [TestCase("coin cache ", "--help\n-h\nclear\nlist")]
    public void Bash_completes_a_partial_command_line(string line, string expected)
    {
        string directory = TestPaths.NewTemporaryDirectory("completion");
        // `coin` on the PATH, as an installed tool is: a wrapper around the built host.
        string wrapper = Path.Combine(directory, "coin");
        File.WriteAllText(wrapper, $"#!/bin/sh\nexec dotnet \"{Path.Combine(TestPaths.HostDirectory, "coin.dll")}\" \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string words = string.Join(' ', line.Split(' ').Select(w => $"'{w}'"));
        string script = $"""
            export PATH="{directory}:$PATH"
            source <(coin completion bash)
            COMP_LINE='{line}'; COMP_POINT=${"{"}#COMP_LINE{"}"}; COMP_WORDS=({words}); COMP_CWORD=$(( ${"{"}#COMP_WORDS[@]{"}"} - 1 ))
            _coin_complete
            printf '%s\n' "${"{"}COMPREPLY[@]{"}"}" | sort
            """;
        using var bash = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string output = bash.StandardOutput.ReadToEnd(), errors = bash.StandardError.ReadToEnd();
        bash.WaitForExit();
        Assert.That(output.Trim(), Is.EqualTo(expected), errors);
    }
}
