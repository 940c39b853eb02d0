using System.Text.Json.Nodes;
using Coin.Tests.Support;

namespace Coin.Tests.EndToEnd;

/// <summary>A LLaVA-NeXT folder (tests/data/llava-next/llava-next-run-tiny: llava_next with a byte-level tokenizer)
/// through the host: the plan counts its any-resolution images, LoRA trains over two tasks whose images become a
/// varying number of tokens each, and a run killed mid-task resumes to the results of one never stopped.</summary>
[Parallelizable(ParallelScope.All)]
public class LlavaNextRunTests
{
    private static string Folder => Path.Combine(TestPaths.Root, "tests", "data", "llava-next", "llava-next-run-tiny");

    private static string Experiment(string directory)
        => CoinProcess.WriteQuickExperiment(directory, json =>
        {
            // 14 steps in each task, a checkpoint every 2: the kill lands within the second task.
            json["training"] = JsonNode.Parse("""{ "epochs": 1, "batchSize": 4, "checkpointEverySteps": 2 }""");
            json["data"]!["options"]!["trainPerTask"] = 56;
            json["data"]!["options"]!["testPerTask"] = 8;
            json["evaluation"]!["maxNewTokens"] = 2;
            json["model"] = JsonNode.Parse($$"""
                {
                  "backbone": { "type": "llama", "options": { "path": "{{Folder}}" } },
                  "encoders": { "image": { "type": "clip-vit", "options": { "path": "{{Folder}}", "mode": "anyres" } } },
                  "connector": { "type": "mlp2x-gelu", "options": { "path": "{{Folder}}" } },
                  "adapter": { "type": "lora", "options": { "rank": 4, "alpha": 8 } }
                }
                """);
        });

    private static string OnlyRun(string directory) => Directory.GetDirectories(Path.Combine(directory, "runs")).Single();

    [Test]
    public void A_lora_run_plans_trains_and_resumes_to_the_uninterrupted_results()
    {
        string reference = TestPaths.NewTemporaryDirectory("llava-next-run");
        string experiment = Experiment(reference);
        var plan = CoinProcess.Run(reference, "run", experiment, "--plan");
        Assert.That(plan.ExitCode, Is.EqualTo(0), plan.ToString());
        Assert.That(plan.Output, Does.Contain("longest sequence").And.Not.Contain("not estimated"), "every component estimates its memory");
        var whole = CoinProcess.Run(reference, "run", experiment);
        Assert.That(whole.ExitCode, Is.EqualTo(0), whole.ToString());

        string killed = TestPaths.NewTemporaryDirectory("llava-next-killed");
        KilledRun.RunUntilMidSecondTask(killed, Experiment(killed));
        var resumed = CoinProcess.Run(killed, "run", "--resume", OnlyRun(killed));
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.ToString());
        var files = new[] { "accuracy-matrix.csv", "steps.csv" }
            .Concat(Directory.GetFiles(Path.Combine(OnlyRun(reference), "predictions")).Select(p => Path.Combine("predictions", Path.GetFileName(p))));
        foreach (string file in files)
            Assert.That(File.ReadAllText(Path.Combine(OnlyRun(killed), file)), Is.EqualTo(File.ReadAllText(Path.Combine(OnlyRun(reference), file))), file);
    }
}
