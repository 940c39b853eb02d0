using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Host.Configuration;
using Coin.Host.Plugins;
using Coin.Tests.Support;
using Json.Schema;

namespace Coin.Tests.Configuration;

/// <summary>The experiment file's JSON Schema: the committed experiments/experiment.schema.json is what `coin schema`
/// generates, every shipped experiment validates against it, and it refuses what the host's binder refuses.</summary>
public class ExperimentSchemaTests
{
    private static readonly JsonDocumentOptions Jsonc = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
    private static string SchemaFile => Path.Combine(TestPaths.Root, "experiments", "experiment.schema.json");

    private static JsonObject Generated() => ExperimentSchema.Build(PluginCatalog.Load([TestPaths.HostPlugins]));

    private static JsonSchema Schema() => JsonSchema.FromText(File.ReadAllText(SchemaFile));

    private static EvaluationResults Validate(string json)
        => Schema().Evaluate(JsonDocument.Parse(json, Jsonc).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });

    [Test]
    public void The_committed_schema_is_what_coin_schema_generates()
        => Assert.That(JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(SchemaFile)), Generated()),
            "experiments/experiment.schema.json is stale: regenerate it with `coin schema > experiments/experiment.schema.json`");

    [TestCaseSource(typeof(ShippedExperimentTests), nameof(ShippedExperimentTests.Files))]
    public void A_shipped_experiment_validates_and_names_the_schema(string relativePath)
    {
        string text = File.ReadAllText(Path.Combine(TestPaths.Root, relativePath));
        var result = Validate(text);
        Assert.That(result.IsValid, Is.True, string.Join("\n", (result.Details ?? []).Where(d => d.Errors is not null)
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
        string reference = JsonNode.Parse(text, documentOptions: Jsonc)!["$schema"]!.GetValue<string>();
        Assert.That(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.Combine(TestPaths.Root, relativePath))!, reference)), Is.EqualTo(SchemaFile));
    }

    [TestCase("""{ "trainng": { "epochs": 1 } }""", "an unknown top-level key")]
    [TestCase("""{ "training": { "epochs": 0 } }""", "a value under its [Range]")]
    [TestCase("""{ "training": { "precision": "fp16" } }""", "a value outside its [RegularExpression]")]
    [TestCase("""{ "training": { "epochs": "four" } }""", "a string for an integer")]
    [TestCase("""{ "model": { "adapter": { "type": "lora", "options": { "rank": 8, "experts": 4 } } } }""", "a MoELoRA option under type lora")]
    [TestCase("""{ "continual": { "type": "no-such-method" } }""", "a plugin that does not exist")]
    [TestCase("""{ "model": { "encoders": { "image": { "type": "tiny-cnn", "options": { "imageSize": "big" } } } } }""", "an encoder option of the wrong type")]
    public void The_schema_refuses_what_the_host_refuses(string json, string what)
        => Assert.That(Validate(json).IsValid, Is.False, what);

    [Test]
    public void Options_are_checked_against_the_chosen_plugin_only()
    {
        Assert.That(Validate("""{ "model": { "adapter": { "type": "moelora", "options": { "rank": 8, "experts": 4 } } } }""").IsValid, Is.True);
        Assert.That(Validate("""{ "continual": { "options": { } } }""").IsValid, Is.True, "an omitted type (the default plugin) constrains nothing");
        var schema = Generated();
        string description = schema["properties"]!["training"]!["properties"]!["precision"]!["description"]!.GetValue<string>();
        Assert.That(description, Does.Contain("bfloat16"), "descriptions come from the XML docs");
    }
}
