using Coin.Tests.Support;

namespace Coin.Tests.EndToEnd;

/// <summary>User mistakes end with one clear message (file, key path or line), exit code 2, no stack trace, and
/// no run folder.</summary>
[Parallelizable(ParallelScope.Self)]
public class ErrorReportingTests
{
    private static void AssertUserError(CoinProcess.Result result, string workingDirectory, params string[] expected)
    {
        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        foreach (string text in expected) Assert.That(result.Error, Does.Contain(text), result.ToString());
        Assert.That(result.Error, Does.StartWith("error: "));
        Assert.That(result.Error + result.Output, Does.Not.Contain("   at "), "no stack trace");
        Assert.That(Directory.Exists(Path.Combine(workingDirectory, "runs")), Is.False, "nothing is written before the configuration is valid");
    }

    [Test]
    public void AnUnknownPluginNameListsTheInstalledOnes()
    {
        string directory = TestPaths.NewTemporaryDirectory("errors");
        var result = CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory), "--set", "model.backbone.type=gpt5");
        AssertUserError(result, directory, "model.backbone.type: unknown backbone plugin 'gpt5'; accepted: llama");
    }

    [Test]
    public void A_method_with_per_parameter_state_is_refused_beside_an_adapter_that_adds_parameters_per_task()
    {
        string directory = TestPaths.NewTemporaryDirectory("errors");
        var result = CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory),
            "--set", "model.adapter.type=olora", "--set", "continual.type=ema");
        AssertUserError(result, directory, "continual: 'ema' keeps state over the parameters trained at the first task (fixed-trainable-set), but model.adapter 'olora' adds new trainable parameters at every task");
    }

    [TestCase("--set", "training.epocs=1", "--set training.epocs=1: training.epocs: unknown key; did you mean 'epochs'?")]
    [TestCase("--seed", "abc", "--seed abc: seed: 'abc' is not an integer")]
    [TestCase("--device", "gpu", "--device gpu: device: expected cpu, cuda or cuda:N")]
    public void A_bad_value_given_on_the_command_line_blames_the_option(string option, string value, string expected)
    {
        // Not the experiment file (or "(built-in default)"), which never held the value.
        string directory = TestPaths.NewTemporaryDirectory("errors");
        var result = CoinProcess.Run(directory, "run", "--plan", option, value);
        AssertUserError(result, directory, expected);
        Assert.That(result.Error, Does.Not.Contain("built-in default"));
    }

    [Test]
    public void AnUnknownOptionKeyNamesItsPathAndTheAcceptedKeys()
    {
        string directory = TestPaths.NewTemporaryDirectory("errors");
        var result = CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory), "--set", "model.backbone.options.hiddenSise=32");
        AssertUserError(result, directory, "model.backbone.options.hiddenSise: unknown key; did you mean 'hiddenSize'? accepted:", "hiddenSize");
    }

    [Test]
    public void AnInvalidOptionValueIsReportedBeforeAnythingLoads()
    {
        string directory = TestPaths.NewTemporaryDirectory("errors");
        var result = CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory), "--set", "data.options.tasks.0=weather");
        AssertUserError(result, directory, "data.options.tasks: unknown task 'weather'; accepted: color, shape, position");
    }

    [Test]
    public void EveryBadOptionOfAComponentIsReportedAtOnce()
    {
        string directory = TestPaths.NewTemporaryDirectory("errors");
        var result = CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory),
            "--set", "model.backbone.options.hiddenSise=3", "--set", "model.backbone.options.layers=-1",
            "--set", "model.backbone.options.heads=0", "--set", "model.backbone.options.preset=huge");
        AssertUserError(result, directory, "4 configuration errors", "hiddenSise: unknown key", "layers: must be between 1 and 128",
            "heads: must be between 1 and 128", "unknown preset 'huge'");
    }

    [Test]
    public void AMalformedExperimentFileNamesTheLine()
    {
        string directory = TestPaths.NewTemporaryDirectory("errors");
        string file = Path.Combine(directory, "broken.json");
        File.WriteAllText(file, "{\n  \"name\": \"broken\",\n  \"training\": { \"epochs\": 1 \n}\n");
        var result = CoinProcess.Run(directory, "run", file);
        AssertUserError(result, directory, file, "malformed JSON at line 5");
    }

    [Test]
    public void AMissingExperimentFileIsNamed()
    {
        string directory = TestPaths.NewTemporaryDirectory("errors");
        var result = CoinProcess.Run(directory, "run", "nowhere.json");
        AssertUserError(result, directory, "nowhere.json: experiment file not found");
    }

    [Test]
    public void ABrokenPluginFolderIsListedAsFailedAndADirectoryOfNothingElseIsRefusedForARun()
    {
        string directory = TestPaths.NewTemporaryDirectory("errors");
        string plugins = Path.Combine(directory, "extra-plugins");
        Directory.CreateDirectory(Path.Combine(plugins, "Coin.Broken"));
        File.WriteAllText(Path.Combine(plugins, "Coin.Broken", "Coin.Broken.dll"), "this is not an assembly");

        var listing = CoinProcess.Run(directory, "plugins", "--plugins", plugins);
        Assert.That(listing.ExitCode, Is.EqualTo(0), listing.ToString());
        Assert.That(listing.Output, Does.Contain("Coin.Broken").And.Contain("failed").And.Contain("not a valid .NET assembly"));
        Assert.That(listing.Output, Does.Contain(" llama "));

        // A run given a directory from which no plugin loads stops, naming it (it used to go on with the built-ins,
        // the user's plugin silently absent); a directory where one folder loads is used (PluginDiscoveryTests).
        var run = CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory), "--plugins", plugins);
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Output + run.Error, Does.Contain($"plugin directory '{plugins}': no plugin loads from it").And.Contain("Coin.Broken.dll is not a valid .NET assembly"));
    }

    [Test]
    public void The_plugins_listing_names_the_capabilities_the_host_ignores_and_why()
    {
        string directory = TestPaths.NewTemporaryDirectory("errors");
        var listing = CoinProcess.Run(directory, "plugins", "--plugins", TestPaths.FaultyPluginsIn(directory));
        Assert.That(listing.ExitCode, Is.EqualTo(0), listing.ToString());
        Assert.That(listing.Output, Does.Contain("ignored odd-capabilities: the capability 'extra-memory:lots', which the host cannot read (expected extra-memory:Nx, N ≥ 0)")
            .And.Contain("ignored odd-capabilities: the capability 'mergeable', which the host does not check"));
        Assert.That(listing.Output, Does.Not.Contain("'extra-memory:1x'"), "a capability the host reads is not listed as ignored");
    }

    [Test]
    public void ChoosingAPluginThatFailedToLoadGivesItsReason()
    {
        string directory = TestPaths.NewTemporaryDirectory("errors");
        var result = CoinProcess.RunQuickWithFixturePlugins(directory, "evaluation.evaluator.type=throws-in-constructor");
        AssertUserError(result, directory, "evaluation.evaluator.type: plugin 'throws-in-constructor' failed to load from", "fixture constructor failure");
    }

    [Test]
    public void DuplicatePluginsAreAnErrorNamingBothFolders()
    {
        string directory = TestPaths.NewTemporaryDirectory("errors");
        string plugins = Path.Combine(directory, "extra-plugins");
        TestPaths.CopyDirectory(Path.Combine(TestPaths.HostPlugins, "Coin.Plugins.Evaluation"), Path.Combine(plugins, "MyEvaluation"));
        var result = CoinProcess.Run(directory, "plugins", "--plugins", plugins);
        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Error, Does.Contain("evaluator plugin 'exact-match' is provided by more than one folder")
            .And.Contain(Path.Combine(TestPaths.HostPlugins, "Coin.Plugins.Evaluation"))
            .And.Contain(Path.Combine(plugins, "MyEvaluation")));
        Assert.That(result.Output, Does.Contain("name clash (MyEvaluation;"), "the table marks the copy and the built-in");

        // A run that uses one of them is refused once, at its key, not once per component.
        var run = CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory), "--plugins", plugins);
        Assert.That(run.ExitCode, Is.Not.EqualTo(0), run.ToString());
        string all = run.Output + run.Error;
        Assert.That(System.Text.RegularExpressions.Regex.Matches(all, "is provided by more than one folder").Count, Is.EqualTo(1), all);
        Assert.That(all, Does.Contain("evaluation.evaluator.type: evaluator plugin 'exact-match' is provided by more than one folder"));
    }

    [Test]
    public void CudaOnACpuBuildSaysHowToGetIt()
    {
        string directory = TestPaths.NewTemporaryDirectory("errors");
        var result = CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory), "--device", "cuda");
        AssertUserError(result, directory, "device 'cuda' requested but CUDA is not available", "-p:CoinTorchBackend=cuda-linux");
    }

    [Test]
    public void ADivergingLossStopsWithTaskStepAndRatesAndKeepsTheResultsFile()
    {
        string directory = TestPaths.NewTemporaryDirectory("errors");
        var result = CoinProcess.RunQuickWithFixturePlugins(directory, "balance.type=nan-at-third-step", "data.options.trainPerTask=64");
        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Error, Does.StartWith("error: task 'color', step 2: the loss is NaN; learning rates were encoder=0.001, connector=0.001, backbone=0.001."));
        string results = Path.Combine(Directory.GetDirectories(Path.Combine(directory, "runs")).Single(), "results.json");
        Assert.That(System.Text.Json.JsonDocument.Parse(File.ReadAllText(results)).RootElement.GetProperty("status").GetString(), Does.StartWith("failed: task 'color'"));
    }

    [Test]
    public void A_hook_left_with_its_1x_name_is_refused_with_the_new_one()
    {
        string directory = TestPaths.NewTemporaryDirectory("errors");
        var result = CoinProcess.RunQuickWithFixturePlugins(directory, "balance.type=old-hook-names");
        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Error, Does.Contain("balance: plugin 'old-hook-names'").And.Contain("AuxiliaryLoss (now ExtraLoss)"));
    }
}
