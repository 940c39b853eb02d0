using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Tests.Support;

namespace Coin.Tests.EndToEnd;

/// <summary>Mini-CoIN through the host: generated once into the cache, read back through the CoIN file reader,
/// decoded by the encoder (SkiaSharp shared from the host), scored with CoIN's metrics.</summary>
[Parallelizable(ParallelScope.Self)]
public class MiniCoinRunTests
{
    [Test]
    public void AMiniCoinStreamRunsAndReusesItsGeneratedData()
    {
        string directory = TestPaths.NewTemporaryDirectory("mini-coin-run");
        string experiment = CoinProcess.WriteQuickExperiment(directory, json =>
        {
            // A small first stage: the test is about data, reading and scoring, not about the base model's quality.
            json["data"] = JsonNode.Parse("""{ "type": "mini-coin", "options": { "tasks": ["ScienceQA", "Grounding", "OCRVQA"], "trainPerTask": 16, "testPerTask": 8, "pretrainSamples": 256 } }""");
            json["pretraining"] = JsonNode.Parse("""{ "epochs": 1 }""");
            json["evaluation"]!["evaluator"] = JsonNode.Parse("""{ "type": "coin", "options": { "mode": "clean" } }""");
            json["evaluation"]!["zeroShot"] = true;
        });
        var first = CoinProcess.Run(directory, "run", experiment);
        Assert.That(first.ExitCode, Is.EqualTo(0), first.ToString());
        string data = Directory.GetDirectories(Path.Combine(CoinProcess.CacheOf(directory), "data", "mini-coin")).Single();
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(data, "manifest.json"));

        var second = CoinProcess.Run(directory, "run", experiment);
        Assert.That(second.ExitCode, Is.EqualTo(0), second.ToString());
        Assert.That(File.GetLastWriteTimeUtc(Path.Combine(data, "manifest.json")), Is.EqualTo(stamp), "generated once, then reused");

        string runFolder = Directory.GetDirectories(Path.Combine(directory, "runs")).Order().First();
        var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(runFolder, "results.json"))).RootElement;
        var metrics = results.GetProperty("scores").EnumerateArray().Where(s => s.GetProperty("afterTask").GetString() == "ScienceQA")
            .Select(s => s.GetProperty("metric").GetString()).ToList();
        Assert.That(metrics, Is.EqualTo(new[] { "option-letter", "grounding-iou", "exact-match-ocr" }));
        Assert.That(results.GetProperty("zeroShot").GetArrayLength(), Is.EqualTo(3));
        Assert.That(results.GetProperty("metrics").GetProperty("forwardTransfer").ValueKind, Is.EqualTo(JsonValueKind.Number));
        Assert.That(File.ReadAllText(Path.Combine(runFolder, "accuracy-matrix.csv")), Does.StartWith("after,ScienceQA,Grounding,OCRVQA\nzero-shot,"));
    }
}
