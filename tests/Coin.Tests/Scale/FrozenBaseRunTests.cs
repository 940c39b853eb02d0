using System.Text.Json.Nodes;
using Coin.Tests.Support;

namespace Coin.Tests.Scale;

/// <summary>The 7B recipe at the size of a test: a llava-hf folder written by <c>coin model init</c>, its frozen base
/// stored as NF4, LoRA with dropout and activation checkpointing; a run killed mid-task resumes to the uninterrupted
/// run's results, and combinations that cannot be honoured are refused with the option to change.</summary>
[Parallelizable(ParallelScope.All)]
public class FrozenBaseRunTests
{
    private static string Experiment(string directory, string folder, string frozen, Action<JsonObject>? customize = null) => CoinProcess.WriteQuickExperiment(directory, json =>
    {
        json["model"] = JsonNode.Parse($$"""
        {
          "backbone": { "type": "llama", "options": { "path": "{{folder}}", "chatTemplate": "vicuna_v1", "frozenWeights": "{{frozen}}" } },
          "encoders": { "image": { "type": "clip-vit", "options": { "path": "{{folder}}", "featureLayer": -2, "mode": "pad", "frozenWeights": "bfloat16" } } },
          "connector": { "type": "mlp2x-gelu", "options": { "path": "{{folder}}" } },
          "adapter": { "type": "lora", "options": { "rank": 4, "alpha": 8, "dropout": 0.1, "targets": ["backbone"], "trainFully": ["connector"] } }
        }
        """);
        json["training"]!["activationCheckpointing"] = true;
        json["training"]!["batchSize"] = 2;
        json["training"]!["checkpointEverySteps"] = 5;
        json["pretraining"] = new JsonObject { ["epochs"] = 0 };
        // 28 steps per task: the kill comes at the checkpoint of step 10 of the second task (KilledRun), and the 18 steps
        // and the evaluation after it (~1 s on an idle core) are the time it has to arrive in; every step more is
        // trained twice or three times.
        json["data"]!["options"]!["trainPerTask"] = 56;
        json["data"]!["options"]!["testPerTask"] = 4;
        json["evaluation"]!["maxNewTokens"] = 3;
        customize?.Invoke(json);
    });

    private static string OnlyRun(string directory) => Directory.GetDirectories(Path.Combine(directory, "runs")).Single();

    [Test]
    public void A_killed_nf4_run_with_checkpointing_resumes_to_the_uninterrupted_results()
    {
        string folder = ModelInitTests.WriteTiny(TestPaths.NewTemporaryDirectory("frozen-base-model"));
        string reference = TestPaths.NewTemporaryDirectory("frozen-base-reference");
        var whole = CoinProcess.Run(reference, "run", Experiment(reference, folder, "nf4"));
        Assert.That(whole.ExitCode, Is.EqualTo(0), whole.ToString());

        string killed = TestPaths.NewTemporaryDirectory("frozen-base-killed");
        string experiment = Experiment(killed, folder, "nf4");
        KilledRun.RunUntilMidSecondTask(killed, experiment);
        string runDirectory = OnlyRun(killed);
        var resumed = CoinProcess.Run(killed, "run", "--resume", runDirectory);
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.ToString());
        foreach (string file in new[] { "accuracy-matrix.csv", "steps.csv" }.Concat(Directory.GetFiles(Path.Combine(OnlyRun(reference), "predictions")).Select(p => Path.Combine("predictions", Path.GetFileName(p)))))
            Assert.That(File.ReadAllText(Path.Combine(runDirectory, file)), Is.EqualTo(File.ReadAllText(Path.Combine(OnlyRun(reference), file))), file);
    }

    [Test]
    public void A_full_fine_tune_of_a_quantised_base_is_refused_naming_the_option()
    {
        string directory = TestPaths.NewTemporaryDirectory("frozen-base-full");
        string folder = ModelInitTests.WriteTiny(directory);
        var result = CoinProcess.Run(directory, "run", Experiment(directory, folder, "nf4", json =>
            json["model"]!["adapter"] = new JsonObject { ["type"] = "full", ["options"] = new JsonObject { ["train"] = new JsonArray("backbone", "connector") } }));
        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Output + result.Error, Does.Contain("frozenWeights").And.Contain("nf4"));
        Assert.That(result.Output + result.Error, Does.Not.Contain("   at "), "one message, no stack trace");
    }

    [Test]
    public void The_plan_counts_a_quantised_base_and_its_activations()
    {
        string directory = TestPaths.NewTemporaryDirectory("frozen-base-plan");
        string folder = ModelInitTests.WriteTiny(directory);
        var result = CoinProcess.Run(directory, "run", Experiment(directory, folder, "nf4"), "--plan");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Output, Does.Contain("nf4").And.Contain("with activation checkpointing").And.Contain("peak estimate"));
    }

    [Test]
    public void Checkpointing_beside_a_method_that_differentiates_the_forward_pass_is_refused()
    {
        string directory = TestPaths.NewTemporaryDirectory("checkpointing-commit");
        var result = CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory), "--plan",
            "--set", "balance.type=commit", "--set", "training.activationCheckpointing=true");
        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Output, Does.Contain("differentiates-forward").And.Contain("activationCheckpointing"));
    }
}
