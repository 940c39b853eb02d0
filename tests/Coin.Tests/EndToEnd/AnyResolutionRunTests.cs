using System.Text.Json.Nodes;
using Coin.Nn.Safetensors;
using Coin.Tests.Support;
using static TorchSharp.torch;

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

        // Exported as the llava folder it came from: PEFT's modules named in the llava model, and one llava-hf folder with
        // the update folded into the language model, the tower as it was and the trained projector with its newline.
        string output = Path.Combine(directory, "exported");
        var export = CoinProcess.Run(directory, "export", OnlyRun(directory), "--stage", "after-02-position", "--out", output);
        Assert.That(export.ExitCode, Is.EqualTo(0), export.ToString());
        using var scope = NewDisposeScope();
        using var peft = SafetensorsCheckpoint.Open(Path.Combine(output, "peft"), "adapter_model");
        using var merged = SafetensorsCheckpoint.Open(Path.Combine(output, "merged"));
        using var original = SafetensorsCheckpoint.Open(Folder("llava-next"));
        using var connector = SafetensorsCheckpoint.Open(output, "connector");
        string layer = "language_model.model.layers.1.self_attn.v_proj";
        var a = peft.Load($"base_model.model.{layer}.lora_A.weight");
        var b = peft.Load($"base_model.model.{layer}.lora_B.weight");
        Assert.That(b.abs().max().item<float>(), Is.GreaterThan(0), "the update trained");
        var expected = original.Load(layer + ".weight") + 2.0 * b.matmul(a);   // alpha 8 / rank 4
        Assert.That((merged.Load(layer + ".weight") - expected).abs().max().item<float>(), Is.LessThan(1e-6f), "W0 + (alpha/r)·B·A");
        Assert.That(merged.Load("vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight").eq(original.Load("vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight")).all().item<bool>(), "the frozen tower as it was");
        Assert.That(merged.Load("multi_modal_projector.linear_2.weight").eq(connector.Load("mm_projector.2.weight")).all().item<bool>(), "the trained projector");
        Assert.That(merged.Load("image_newline").eq(connector.Load("image_newline")).all().item<bool>(), "and its newline");
        Assert.That(JsonNode.Parse(File.ReadAllText(Path.Combine(output, "merged", "config.json")))!["model_type"]!.GetValue<string>(), Is.EqualTo("llava_next"));
        using (var reloaded = Coin.Plugins.Backbones.Llama.HuggingFaceCheckpoint.Load(Path.Combine(output, "merged")))
            Assert.That(reloaded.Config.NumHiddenLayers, Is.EqualTo(2), "the merged folder loads back");
        using var tower = Coin.Plugins.Encoders.Vision.ClipVisionEncoder.Load(Path.Combine(output, "merged"));
        using var projector = new Coin.Plugins.Connectors.PackingMlp2xGeluConnector(12, 32);
        Coin.Plugins.Connectors.LlavaProjector.LoadInto(projector, Path.Combine(output, "merged"), 12);
    }

    [Test]
    public void A_onevision_lora_run_on_mini_coin_killed_mid_task_resumes_to_the_uninterrupted_results()
    {
        // Two mini-CoIN tasks of 64 images (PNG files, prepared by a background worker), 16 steps each with a checkpoint
        // every 2: the kill comes at the checkpoint of step 10 of the second task (KilledRun), and the 6 steps and the
        // evaluation after it are the time it has to arrive in.
        var data = JsonNode.Parse("""
            { "type": "mini-coin", "options": { "tasks": ["ImageNet", "OCRVQA"], "trainPerTask": 64, "testPerTask": 8, "pretrainSamples": 0 }, "workers": 1 }
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
