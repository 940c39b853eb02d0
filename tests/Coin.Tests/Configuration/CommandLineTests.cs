using Coin.Abstractions.Plugins;
using Coin.Host.Cli;
using Coin.Host.Configuration;

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
    public void MistakesAreUserErrors(string[] args, string expected)
    {
        // (Nothing close to "--zzzzzzzz": no suggestion.)
        var error = Assert.Throws<CoinUserException>(() => CommandLine.Parse(args));
        Assert.That(error!.Message, Does.Contain(expected));
    }
}

public class CommandHelpTests
{
    [TestCase("compare", "coin compare RUN_DIR", "coin bench")]
    [TestCase("bench", "--precision-steps", "coin compare")]
    [TestCase("schema", "coin schema", "coin run --resume")]
    public void Help_after_a_command_prints_that_commands_usage(string command, string expected, string absent)
    {
        var parsed = Coin.Host.Cli.CommandLine.Parse([command, "--help"]);
        Assert.That(parsed.Command, Is.EqualTo("help"));
        Assert.That(parsed.HelpTopic, Is.EqualTo(command));
        string usage = Coin.Host.Cli.CommandLine.UsageFor(command);
        Assert.That(usage, Does.Contain(expected).And.Not.Contain(absent).And.Contain("coin --help"));
    }

    [Test]
    public void Coin_run_help_lists_the_common_options()
    {
        string usage = CommandLine.UsageFor("run");
        foreach (string option in new[] { "--set KEY=VALUE", "--seed N", "--device DEVICE", "--output DIR", "--plugins DIR", "Configuration layers" })
            Assert.That(usage, Does.Contain(option));
        Assert.That(usage, Does.Not.Contain("coin sweep"), "only coin run's forms");
    }

    [TestCase("epocs", new[] { "epochs", "batchSize" }, "epochs")]
    [TestCase("lerningRate", new[] { "learningRate", "learningRates" }, "learningRate")]
    [TestCase("sed", new[] { "seed", "device" }, "seed")]
    [TestCase("lsit", new[] { "list", "clear" }, "list")]
    [TestCase("frobnicate", new[] { "run", "sweep" }, null)]
    public void A_suggestion_is_the_closest_word_within_a_typos_distance(string word, string[] accepted, string? expected)
        => Assert.That(Suggestions.Closest(word, accepted), Is.EqualTo(expected));
}
