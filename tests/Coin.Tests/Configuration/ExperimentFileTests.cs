using System.Text.Json.Nodes;
using Coin.Abstractions.Plugins;
using Coin.Engine.Configuration;
using Coin.Tests.Support;

namespace Coin.Tests.Configuration;

/// <summary>"extends": a recipe file holds only what differs from the file it extends.</summary>
public class ExperimentFileTests
{
    private static string Folder(params (string Name, string Json)[] files)
    {
        string folder = TestPaths.NewTemporaryDirectory("extends");
        foreach (var (name, json) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(folder, name))!);
            File.WriteAllText(Path.Combine(folder, name), json);
        }
        return folder;
    }

    [Test]
    public void Objects_merge_key_by_key_lists_and_values_replace_and_a_new_type_drops_the_old_options()
    {
        string folder = Folder(
            ("base/regime.json", """
                { // comments are allowed, as in every experiment file
                  "name": "regime", "training": { "epochs": 1, "learningRate": 2e-4, "learningRates": { "connector": 2e-5 } },
                  "continual": { "type": "ewc", "options": { "lambda": 3 } },
                  "data": { "type": "mini-coin", "options": { "tasks": ["ScienceQA", "TextVQA"], "trainPerTask": 10 } } }
                """),
            ("base/middle.json", """{ "extends": "regime.json", "training": { "epochs": 2 } }"""),
            ("method.json", """
                { "extends": "base/middle.json", "name": "method", "Training": { "LearningRate": 1e-3 },
                  "continual": { "type": "llaca" }, "data": { "options": { "tasks": ["GQA"] } } }
                """));
        var merged = ExperimentFile.Read(Path.Combine(folder, "method.json"));
        Assert.That(merged.ContainsKey("extends"), Is.False);
        Assert.That(merged["name"]!.GetValue<string>(), Is.EqualTo("method"));
        Assert.That(merged["training"]!["epochs"]!.GetValue<int>(), Is.EqualTo(2), "the middle file's value");
        Assert.That(merged["training"]!["learningRates"]!["connector"]!.GetValue<double>(), Is.EqualTo(2e-5), "kept from the base");
        Assert.That(JsonNode.DeepEquals(merged["training"]!["LearningRate"] ?? merged["training"]!["learningRate"], JsonValue.Create(1e-3)),
            "a key differing only in case replaces the base's, as configuration keys are case-insensitive");
        Assert.That(merged["training"]!.AsObject().Count(kv => kv.Key.Equals("learningRate", StringComparison.OrdinalIgnoreCase)), Is.EqualTo(1));
        Assert.That(merged["continual"]!.ToJsonString(), Is.EqualTo("""{"type":"llaca"}"""), "ewc's options do not go to llaca");
        Assert.That(merged["data"]!["options"]!["tasks"]!.AsArray().Select(t => t!.GetValue<string>()), Is.EqualTo(new[] { "GQA" }), "a list replaces whole");
        Assert.That(merged["data"]!["options"]!["trainPerTask"]!.GetValue<int>(), Is.EqualTo(10));
    }

    [Test]
    public void A_cycle_a_missing_base_or_a_non_string_is_refused_by_name()
    {
        string folder = Folder(("a.json", """{ "extends": "b.json" }"""), ("b.json", """{ "extends": "a.json" }"""),
            ("lost.json", """{ "extends": "nowhere.json" }"""), ("number.json", """{ "extends": 3 }"""));
        Assert.That(() => ExperimentFile.Read(Path.Combine(folder, "a.json")),
            Throws.TypeOf<CoinUserException>().With.Message.Contains("cycle (a.json → b.json → a.json)"));
        Assert.That(() => ExperimentFile.Read(Path.Combine(folder, "lost.json")),
            Throws.TypeOf<CoinUserException>().With.Message.Contains("nowhere.json' not found"));
        Assert.That(() => ExperimentFile.Read(Path.Combine(folder, "number.json")),
            Throws.TypeOf<CoinUserException>().With.Message.Contains("must name another experiment file"));
    }
}
