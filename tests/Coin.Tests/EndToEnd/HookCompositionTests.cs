using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Abstractions.Plugins;
using Coin.Engine.Configuration;
using Coin.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace Coin.Tests.EndToEnd;

/// <summary>Contract 2.0: several continual methods in one run, their hooks called in the order listed.</summary>
[Parallelizable(ParallelScope.Self)]
public class HookCompositionTests
{
    [Test]
    public void Replay_and_llaca_in_one_run_both_act()
    {
        string directory = TestPaths.NewTemporaryDirectory("compose");
        string experiment = CoinProcess.WriteQuickExperiment(directory, json =>
            json["continual"] = JsonNode.Parse("""[{ "type": "replay", "options": { "bufferPerTask": 8 } }, { "type": "llaca" }]"""));
        var result = CoinProcess.Run(directory, "run", experiment);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        string run = Directory.GetDirectories(Path.Combine(directory, "runs")).Single();
        var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "results.json"))).RootElement;
        // Replay acted: the second task trained on its 48 samples and 8 kept from the first.
        var samples = results.GetProperty("training").EnumerateArray().Select(t => t.GetProperty("samples").GetInt32()).ToList();
        Assert.That(samples, Is.EqualTo(new[] { 48, 56 }));
        // LLaCA acted: an alpha for every step but each task's first (3 + 4 steps).
        var steps = File.ReadAllLines(Path.Combine(run, "steps.csv"));
        Assert.That(steps.Count(l => l.Contains(",llaca/alpha,")), Is.EqualTo(2 + 3));
        var continual = results.GetProperty("config").GetProperty("continual");
        Assert.That(continual.EnumerateArray().Select(c => c.GetProperty("type").GetString()), Is.EqualTo(new[] { "replay", "llaca" }));
        Assert.That(results.GetProperty("components").EnumerateArray().Select(c => c.GetProperty("key").GetString()),
            Does.Contain("continual[0]").And.Contain("continual[1]"));
    }

    [Test]
    public void A_stage_keeps_the_weights_its_hooks_left_for_evaluation()
    {
        string directory = TestPaths.NewTemporaryDirectory("compose");
        var result = CoinProcess.RunQuickWithFixturePlugins(directory, "balance.type=zero-connector-before-evaluation");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        string stages = Path.Combine(Directory.GetDirectories(Path.Combine(directory, "runs")).Single(), "stages");
        var files = Directory.GetFiles(stages, "*.safetensors");
        Assert.That(files, Has.Length.EqualTo(2), "one per task");
        foreach (string file in files)
        {
            using var kept = Coin.Nn.Safetensors.SafetensorsCheckpoint.Open(stages, Path.GetFileNameWithoutExtension(file));
            var connector = kept.Names.Where(n => n.StartsWith("connector", StringComparison.Ordinal)).ToList();
            Assert.That(connector, Is.Not.Empty, file);
            foreach (string name in connector)
            {
                using var weight = kept.Load(name);
                Assert.That(weight.count_nonzero().item<long>(), Is.Zero, $"{file}: {name} as BeforeEvaluation left it, what the stage was scored with");
            }
        }
    }

    private static ExperimentConfig Bind(params (string Key, string Value)[] settings)
        => new ExperimentLoader(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build(),
            new ExperimentSource("test", TestPaths.Root)).Load().Config;

    [Test]
    public void Continual_is_one_component_or_a_list_not_both()
    {
        Assert.That(Bind().Continual.Select(c => c.Type), Is.EqualTo(new[] { "sequential" }));
        Assert.That(Bind(("continual:type", "ewc")).Continual.Select(c => c.Type), Is.EqualTo(new[] { "ewc" }));
        Assert.That(Bind(("continual:0:type", "replay"), ("continual:1:type", "llaca")).Continual.Select(c => c.Type), Is.EqualTo(new[] { "replay", "llaca" }));
        Assert.That(() => Bind(("continual:0:type", "replay"), ("continual:type", "llaca")),
            Throws.TypeOf<CoinUserException>().With.Message.Contains("continual: give one component (type, options) or a list of them, not both"));
        Assert.That(() => Bind(("continual:1:typo", "replay")), Throws.TypeOf<CoinUserException>().With.Message.Contains("continual[1].typo: unknown key"));
    }
}
