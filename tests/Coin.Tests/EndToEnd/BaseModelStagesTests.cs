using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Nn.Safetensors;
using Coin.Tests.Support;
using static TorchSharp.torch;

namespace Coin.Tests.EndToEnd;

/// <summary>LLaVA's two stages before the stream: captions with everything trained, then the instruction mix with only
/// the listed components trained; one base model shared by runs of several seeds when <c>pretraining.seed</c> is set.</summary>
[Parallelizable(ParallelScope.Self)]
public class BaseModelStagesTests
{
    private static string Experiment(string directory, string name, int seed, int instructionEpochs) => CoinProcess.WriteQuickExperiment(directory, json =>
    {
        json["name"] = name;
        json["seed"] = seed;
        json["data"] = JsonNode.Parse("""{ "type": "mini-coin", "options": { "seed": 1, "tasks": ["ScienceQA"], "trainPerTask": 8, "testPerTask": 4, "pretrainSamples": 64, "instructionSamples": 48 } }""");
        json["pretraining"] = JsonNode.Parse($$"""{ "seed": 5, "epochs": 1, "instructions": { "epochs": {{instructionEpochs}}, "train": ["backbone"] } }""");
    });

    private static JsonElement Results(string runFolder) => JsonDocument.Parse(File.ReadAllText(Path.Combine(runFolder, "results.json"))).RootElement;

    [Test]
    public void The_instruction_stage_trains_only_what_it_lists_and_one_base_serves_every_run_seed()
    {
        string directory = TestPaths.NewTemporaryDirectory("base-stages");
        var twoStages = CoinProcess.Run(directory, "run", Experiment(directory, "two", seed: 1, instructionEpochs: 1), "--output", "runs/two");
        Assert.That(twoStages.ExitCode, Is.EqualTo(0), twoStages.ToString());
        var oneStage = CoinProcess.Run(directory, "run", Experiment(directory, "one", seed: 1, instructionEpochs: 0), "--output", "runs/one");
        Assert.That(oneStage.ExitCode, Is.EqualTo(0), oneStage.ToString());

        string twoRun = Directory.GetDirectories(Path.Combine(directory, "runs", "two")).Single();
        var info = Results(twoRun).GetProperty("baseModel");
        Assert.That(info.GetProperty("origin").GetString(), Is.EqualTo("trained"));
        Assert.That(info.GetProperty("instructions").GetProperty("samples").GetInt32(), Is.EqualTo(48));
        Assert.That(info.GetProperty("instructions").GetProperty("steps").GetInt32(), Is.EqualTo(3));
        // The second stage's rows follow the first's on one step axis.
        var rows = File.ReadAllLines(Path.Combine(twoRun, "steps.csv")).Skip(1).Select(l => l.Split(',')).Where(c => c[2] == "loss").ToList();
        Assert.That(rows.Where(c => c[0] == "pretrain").Select(c => c[1]), Is.EqualTo(new[] { "0", "1", "2", "3" }));
        Assert.That(rows.Where(c => c[0] == "instruct").Select(c => c[1]), Is.EqualTo(new[] { "4", "5", "6" }));

        // Against the base model of the first stage alone (same seed, so the same first stage): the instruction stage
        // changed the backbone and left the encoder and the connector exactly as the first stage left them.
        var cached = Directory.GetDirectories(Path.Combine(CoinProcess.CacheOf(directory), "base-models"));
        Assert.That(cached, Has.Length.EqualTo(2), "the instruction stage's settings are part of the cache key");
        var weights = cached.Select(c => SafetensorsFile.Open(Path.Combine(c, "model.safetensors"))).ToList();
        var names = weights[0].Tensors.Keys.ToList();
        Assert.That(weights[1].Tensors.Keys, Is.EquivalentTo(names));
        bool Same(string name)
        {
            using var scope = NewDisposeScope();
            return weights[0].Load(name).eq(weights[1].Load(name)).all().item<bool>();
        }
        var changed = names.Where(n => !Same(n)).ToList();
        Assert.That(changed, Is.Not.Empty);
        Assert.That(changed, Has.All.StartWith("backbone."), string.Join(", ", changed));

        // Another run seed with the same pretraining.seed loads that base model instead of training its own.
        var otherSeed = CoinProcess.Run(directory, "run", Experiment(directory, "two", seed: 2, instructionEpochs: 1), "--output", "runs/two-seed2");
        Assert.That(otherSeed.ExitCode, Is.EqualTo(0), otherSeed.ToString());
        string secondRun = Directory.GetDirectories(Path.Combine(directory, "runs", "two-seed2")).Single();
        Assert.That(Results(secondRun).GetProperty("baseModel").GetProperty("origin").GetString(), Is.EqualTo("cache"));
        Assert.That(Directory.GetDirectories(Path.Combine(CoinProcess.CacheOf(directory), "base-models")), Has.Length.EqualTo(2));
        Assert.That(Results(secondRun).GetProperty("seed").GetInt32(), Is.EqualTo(2));
    }

    /// <summary><c>pretraining.data</c>: the base model is trained on other sources than the stream's (here two, read
    /// as one set), and keyed by them alone, so that a stream of other tasks (here shapes, which offers no first-stage
    /// data, then a mini-CoIN task the base never saw) starts from the same base model.</summary>
    [Test]
    public void A_base_model_from_its_own_data_sources_serves_streams_of_other_tasks()
    {
        string directory = TestPaths.NewTemporaryDirectory("base-data");
        string Write(string name, string data, string? pretrainingData = null) => CoinProcess.WriteQuickExperiment(directory, json =>
        {
            json["name"] = name;
            json["data"] = JsonNode.Parse(data);
            json["pretraining"] = JsonNode.Parse($$"""
                { "seed": 5, "epochs": 1, "data": {{pretrainingData ?? """
                    [ { "type": "mini-coin", "options": { "seed": 1, "tasks": ["ScienceQA"], "trainPerTask": 8, "testPerTask": 4, "pretrainSamples": 32 } },
                      { "type": "mini-coin", "options": { "seed": 3, "tasks": ["ScienceQA"], "trainPerTask": 8, "testPerTask": 4, "pretrainSamples": 16 } } ]
                    """}} }
                """);
        });
        string shapes = Write("shapes", """{ "type": "shapes", "options": { "tasks": ["color"], "trainPerTask": 16, "testPerTask": 8 } }""");
        var first = CoinProcess.Run(directory, "run", shapes, "--output", "runs/shapes");
        Assert.That(first.ExitCode, Is.EqualTo(0), first.ToString());
        string textVqa = Write("textvqa", """{ "type": "mini-coin", "options": { "seed": 2, "tasks": ["TextVQA"], "trainPerTask": 8, "testPerTask": 4, "pretrainSamples": 16 } }""");
        var second = CoinProcess.Run(directory, "run", textVqa, "--output", "runs/textvqa");
        Assert.That(second.ExitCode, Is.EqualTo(0), second.ToString());

        var firstResults = Results(Directory.GetDirectories(Path.Combine(directory, "runs", "shapes")).Single());
        var secondResults = Results(Directory.GetDirectories(Path.Combine(directory, "runs", "textvqa")).Single());
        Assert.That(firstResults.GetProperty("baseModel").GetProperty("origin").GetString(), Is.EqualTo("trained"), "shapes alone trains no base model; its pretraining.data does");
        Assert.That(firstResults.GetProperty("baseModel").GetProperty("samples").GetInt32(), Is.EqualTo(48));
        Assert.That(secondResults.GetProperty("baseModel").GetProperty("origin").GetString(), Is.EqualTo("cache"), "the stream's own first-stage data (16 captions) is not what the base is keyed by");
        Assert.That(Directory.GetDirectories(Path.Combine(CoinProcess.CacheOf(directory), "base-models")), Has.Length.EqualTo(1));
        var sources = secondResults.GetProperty("config").GetProperty("pretraining").GetProperty("data");
        Assert.That(sources.EnumerateArray().Select(s => s.GetProperty("options").GetProperty("pretrainSamples").GetInt32()), Is.EqualTo(new[] { 32, 16 }),
            "results.json holds the sources as their plugin bound them");

        // A source without first-stage data would leave the stage silently off: refused, named.
        var refused = CoinProcess.Run(directory, "run", Write("refused", """{ "type": "shapes" }""", """{ "type": "shapes" }"""), "--plan");
        Assert.That(refused.ExitCode, Is.EqualTo(2), refused.ToString());
        Assert.That(refused.Output + refused.Error, Does.Contain("pretraining.data: plugin 'shapes' offers no data for the base model's stages"));
    }

    /// <summary>The first stage is checkpointed as a task is: a run killed in the middle of it continues from its last
    /// checkpoint (here through <c>coin run --resume</c>, which restarts a run that has no checkpoint of its own), and
    /// ends with the base model, step log and results of a run that was never stopped.</summary>
    [Test]
    public void A_base_model_stage_killed_mid_way_continues_from_its_checkpoint_to_the_uninterrupted_result()
    {
        string directory = TestPaths.NewTemporaryDirectory("base-resume");
        string reference = Path.Combine(directory, "reference"), killed = Path.Combine(directory, "killed");
        string Write(string folder)
        {
            Directory.CreateDirectory(folder);
            return CoinProcess.WriteQuickExperiment(folder, json =>
            {
                // 40 steps: the kill comes at the checkpoint of step 8, and the 32 steps after it (~0.9 s on an idle
                // core) are the time it has to arrive in while the run is still in this stage; every step more is
                // trained twice.
                json["data"] = JsonNode.Parse("""{ "type": "mini-coin", "options": { "seed": 1, "tasks": ["ScienceQA"], "trainPerTask": 8, "testPerTask": 4, "pretrainSamples": 160 } }""");
                json["pretraining"] = JsonNode.Parse("""{ "epochs": 1, "batchSize": 4 }""");
                json["training"]!["checkpointEverySteps"] = 2;
            });
        }
        var uninterrupted = CoinProcess.Run(reference, "run", Write(reference));
        Assert.That(uninterrupted.ExitCode, Is.EqualTo(0), uninterrupted.ToString());

        string experiment = Write(killed);
        string models = Path.Combine(CoinProcess.CacheOf(killed), "base-models");
        int? ProgressStep()
        {
            try
            {
                var state = Directory.Exists(models) ? Directory.GetFiles(models, "state.json", SearchOption.AllDirectories).SingleOrDefault() : null;
                return state is null ? null : JsonNode.Parse(File.ReadAllText(state))!["position"]!["step"]!.GetValue<int>();
            }
            catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
            {
                return null;
            }
        }
        using (var process = CoinProcess.Start(killed, "run", experiment))
        {
            process.BeginOutputReadLine();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!(ProgressStep() >= 8) && !process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(10);
            Assert.That(process.HasExited, Is.False, "the run was still in its base-model stage when it was to be killed");
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        int stoppedAt = ProgressStep()!.Value;
        Assert.That(stoppedAt, Is.InRange(8, 38), "a checkpoint within the stage's 40 steps, not at its end");

        string run = Directory.GetDirectories(Path.Combine(killed, "runs")).Single();
        var resumed = CoinProcess.Run(killed, "run", "--resume", run);
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.ToString());
        Assert.That(resumed.Output, Does.Contain($"base model: continuing the first stage at step {stoppedAt}"));
        Assert.That(Directory.GetDirectories(models, "*.progress"), Is.Empty, "the progress folder goes once the base model is stored");

        string Entry(string folder) => Directory.GetDirectories(Path.Combine(CoinProcess.CacheOf(folder), "base-models")).Single(d => !d.EndsWith(".progress", StringComparison.Ordinal));
        Assert.That(File.ReadAllBytes(Path.Combine(Entry(killed), "model.safetensors")), Is.EqualTo(File.ReadAllBytes(Path.Combine(Entry(reference), "model.safetensors"))),
            "the same base model, bit for bit");
        string referenceRun = Directory.GetDirectories(Path.Combine(reference, "runs")).Single();
        foreach (string file in new[] { "steps.csv", "accuracy-matrix.csv" })
            Assert.That(File.ReadAllText(Path.Combine(run, file)), Is.EqualTo(File.ReadAllText(Path.Combine(referenceRun, file))), file);
    }
}
