using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Tests.Support;

namespace Coin.Tests.EndToEnd;

/// <summary>The third-party sample under samples/ is built on its own, dropped into a plugins directory, listed by
/// the host and chosen by configuration, with no rebuild of the host.</summary>
[Parallelizable(ParallelScope.Self)]
public class SamplePluginTests
{
    private static string sampleOutput = "";

    [OneTimeSetUp]
    public void BuildTheSample() => sampleOutput = SampleBuild.Output("Coin.Samples.ContainsEvaluator");

    private static string DropIn(string workingDirectory)
    {
        string plugins = Path.Combine(workingDirectory, "my-plugins");
        TestPaths.CopyDirectory(sampleOutput, Path.Combine(plugins, "Coin.Samples.ContainsEvaluator"));
        return plugins;
    }

    [Test]
    public void TheSampleReferencesOnlyTheContracts()
    {
        var shipped = Directory.EnumerateFiles(sampleOutput, "*.dll").Select(Path.GetFileName);
        Assert.That(shipped, Is.EqualTo(new[] { "Coin.Samples.ContainsEvaluator.dll" }));
    }

    [Test]
    public void TheHostListsTheDroppedInSample()
    {
        string directory = TestPaths.NewTemporaryDirectory("sample");
        var result = CoinProcess.Run(directory, "plugins", "--plugins", DropIn(directory));
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Output, Does.Contain(" contains ").And.Contain("Sample third-party plugin"));
    }

    [Test]
    public void ARunChosenByConfigurationUsesTheSample()
    {
        string directory = TestPaths.NewTemporaryDirectory("sample");
        string plugins = DropIn(directory);
        string experiment = CoinProcess.WriteQuickExperiment(directory, json =>
        {
            json["plugins"] = new JsonObject { ["directories"] = new JsonArray(plugins) };
            json["evaluation"]!["evaluator"] = JsonNode.Parse("""{ "type": "contains", "options": { "ignoreCase": false } }""");
        });
        var result = CoinProcess.Run(directory, "run", experiment);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Output, Does.Contain("contains"));

        string folder = Directory.GetDirectories(Path.Combine(directory, "runs")).Single();
        var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "results.json"))).RootElement;
        Assert.That(results.GetProperty("scores").EnumerateArray().Select(s => s.GetProperty("metric").GetString()), Has.All.EqualTo("contains"));
        var evaluator = results.GetProperty("config").GetProperty("evaluation").GetProperty("evaluator");
        Assert.That(evaluator.GetProperty("options").GetProperty("ignoreCase").GetBoolean(), Is.False);
        Assert.That(results.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("key").GetString() == "evaluation.evaluator")
            .GetProperty("folder").GetString(), Does.StartWith(plugins));
    }

    [Test]
    public void A_run_with_plugins_from_the_command_line_records_them_and_resumes_with_them()
    {
        string directory = TestPaths.NewTemporaryDirectory("sample");
        // The plugin's own build output, not a folder of plugin folders: accepted as one plugin folder.
        string pluginFolder = Path.Combine(DropIn(directory), "Coin.Samples.ContainsEvaluator");
        string experiment = CoinProcess.WriteQuickExperiment(directory, json => json["evaluation"]!["evaluator"] = JsonNode.Parse("""{ "type": "contains" }"""));
        var result = CoinProcess.Run(directory, "run", experiment, "--plugins", pluginFolder);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        string folder = Directory.GetDirectories(Path.Combine(directory, "runs")).Single();
        var recorded = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "experiment.json")))!["plugins"]!["directories"]!.AsArray();
        Assert.That(recorded.Select(d => d!.GetValue<string>()), Is.EqualTo(new[] { pluginFolder }));

        // Resumed as if it had been stopped before its report: it finds the plugin again without --plugins.
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "results.json")))!.AsObject();
        results["status"] = "interrupted";
        File.WriteAllText(Path.Combine(folder, "results.json"), results.ToJsonString());
        var resumed = CoinProcess.Run(directory, "run", "--resume", folder);
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.ToString());
        Assert.That(resumed.Output, Does.Contain("resuming after the last task"));
    }
}
