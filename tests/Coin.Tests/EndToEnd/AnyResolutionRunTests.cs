using System.Text.Json.Nodes;
using Coin.Tests.Support;

namespace Coin.Tests.EndToEnd;

/// <summary>LLaVA-NeXT and LLaVA-OneVision folders (tests/data/llava-next/llava-next-run-tiny and
/// tests/data/llava-onevision/llava-onevision-run-tiny: random weights, a byte-level tokenizer) through the host: the
/// plan counts their any-resolution images, LoRA trains over tasks whose images become a varying number of tokens each,
/// and a OneVision run on mini-CoIN killed mid-task resumes to the results of one never stopped.</summary>
[Parallelizable(ParallelScope.All)]
public class AnyResolutionRunTests
{
    private static string Folder(string family) => Path.Combine(TestPaths.Root, "tests", "data", family, $"{family}-run-tiny");

    private static string Experiment(string directory, string family, JsonNode data, int featureLayer)
        => CoinProcess.WriteQuickExperiment(directory, json =>
        {
            json["training"] = JsonNode.Parse("""{ "epochs": 1, "batchSize": 4, "checkpointEverySteps": 2 }""");
            json["data"] = data;
            json["evaluation"]!["maxNewTokens"] = 2;
            json["model"] = JsonNode.Parse($$"""
                {
                  "backbone": { "type": "llama", "options": { "path": "{{Folder(family)}}" } },
                  "encoders": { "image": { "type": "clip-vit", "options": { "path": "{{Folder(family)}}", "mode": "anyres", "featureLayer": {{featureLayer}} } } },
                  "connector": { "type": "mlp2x-gelu", "options": { "path": "{{Folder(family)}}" } },
                  "adapter": { "type": "lora", "options": { "rank": 4, "alpha": 8 } }
                }
                """);
        });

    private static string OnlyRun(string directory) => Directory.GetDirectories(Path.Combine(directory, "runs")).Single();

    [Test]
    public void A_llava_next_folder_is_planned_and_trained_with_lora()
    {
        string directory = TestPaths.NewTemporaryDirectory("llava-next-run");
        string experiment = Experiment(directory, "llava-next",
            JsonNode.Parse("""{ "type": "shapes", "options": { "tasks": ["color", "position"], "trainPerTask": 16, "testPerTask": 8 } }""")!, -2);
        var plan = CoinProcess.Run(directory, "run", experiment, "--plan");
        Assert.That(plan.ExitCode, Is.EqualTo(0), plan.ToString());
        Assert.That(plan.Output, Does.Contain("longest sequence").And.Not.Contain("not estimated"), "every component estimates its memory");
        var run = CoinProcess.Run(directory, "run", experiment);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(OnlyRun(directory), "results.json"))).RootElement.GetProperty("status").GetString(),
            Is.EqualTo("completed"));
    }

    [Test]
    public void A_onevision_lora_run_on_mini_coin_killed_mid_task_resumes_to_the_uninterrupted_results()
    {
        // Two mini-CoIN tasks of 56 images (PNG files, prepared by a background worker), 14 steps each with a checkpoint
        // every 2: the kill lands within the second task.
        var data = JsonNode.Parse("""
            { "type": "mini-coin", "options": { "tasks": ["ImageNet", "OCRVQA"], "trainPerTask": 56, "testPerTask": 8, "pretrainSamples": 0 }, "workers": 1 }
            """)!;
        string reference = TestPaths.NewTemporaryDirectory("onevision-run");
        var whole = CoinProcess.Run(reference, "run", Experiment(reference, "llava-onevision", data.DeepClone(), -1));
        Assert.That(whole.ExitCode, Is.EqualTo(0), whole.ToString());

        string killed = TestPaths.NewTemporaryDirectory("onevision-killed");
        KilledRun.RunUntilMidSecondTask(killed, Experiment(killed, "llava-onevision", data.DeepClone(), -1));
        var resumed = CoinProcess.Run(killed, "run", "--resume", OnlyRun(killed));
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.ToString());
        var files = new[] { "accuracy-matrix.csv", "steps.csv" }
            .Concat(Directory.GetFiles(Path.Combine(OnlyRun(reference), "predictions")).Select(p => Path.Combine("predictions", Path.GetFileName(p))));
        // The predictions name each image by its path, under each run's own cache of generated data.
        foreach (string file in files)
            Assert.That(File.ReadAllText(Path.Combine(OnlyRun(killed), file)).Replace(killed, reference), Is.EqualTo(File.ReadAllText(Path.Combine(OnlyRun(reference), file))), file);
    }
}
