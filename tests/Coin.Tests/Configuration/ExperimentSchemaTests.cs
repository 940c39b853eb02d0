using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Engine.Composition;
using Coin.Engine.Configuration;
using Coin.Engine.Plugins;
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

    /// <summary>The files are JSONC (comments, trailing commas): a validator from outside Coin reads them too, given a
    /// JSONC reader. Python's jsonschema (Draft 2020-12) over json5, through experiments/validate.py, which users run
    /// the same way; a file with an unknown key shows that it refuses as well.</summary>
    [Test]
    public void Every_shipped_experiment_validates_with_pythons_jsonschema_read_as_jsonc()
    {
        if (!PythonHas("jsonschema", "json5")) Assert.Ignore("python3-jsonschema and python3-json5 are missing: .ci/run installs them (.ci/python.sh)");
        var files = ShippedExperimentTests.Files().Select(f => Path.Combine(TestPaths.Root, f)).ToList();
        Assert.That(files.Count(f => File.ReadAllText(f).Contains("//")), Is.GreaterThan(0), "the shipped files use comments: a plain JSON reader would refuse them");
        var (exit, output) = Python([Path.Combine(TestPaths.Root, "experiments", "validate.py"), .. files]);
        Assert.That(exit, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain($"{files.Count} files, 0 invalid"));

        string directory = TestPaths.NewTemporaryDirectory("schema-python");
        string misspelt = Path.Combine(directory, "misspelt.json");
        File.WriteAllText(misspelt, "{ // a comment\n  \"trainng\": { \"epochs\": 1, },\n}\n");
        (exit, output) = Python([Path.Combine(TestPaths.Root, "experiments", "validate.py"), misspelt]);
        Assert.That(exit, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain("trainng"));
    }

    private static bool PythonHas(params string[] modules) => File.Exists("/usr/bin/python3") && Python(["-c", "import " + string.Join(", ", modules)]).Exit == 0;

    private static (int Exit, string Output) Python(string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("/usr/bin/python3", args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = System.Diagnostics.Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
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
