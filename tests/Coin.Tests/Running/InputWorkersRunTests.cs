using System.Text.Json.Nodes;
using Coin.Tests.Support;
using SkiaSharp;

namespace Coin.Tests.Running;

/// <summary><c>data.workers</c> changes when inputs are prepared, never what a run computes.</summary>
[Parallelizable(ParallelScope.All)]
public class InputWorkersRunTests
{
    private static readonly (string Name, SKColor Color)[] Colours =
        [("red", SKColors.Red), ("green", SKColors.Green), ("blue", SKColors.Blue), ("yellow", SKColors.Yellow)];

    /// <summary>A CoIN-format task of PNG files of several sizes, one colour each.</summary>
    private static string WriteStream(string folder)
    {
        Directory.CreateDirectory(Path.Combine(folder, "images"));
        var rows = new JsonArray();
        int[] sides = [12, 40, 64, 90];
        for (int i = 0; i < 40; i++)
        {
            var (name, color) = Colours[i % Colours.Length];
            string file = $"{name}-{sides[i / 4 % sides.Length]}x{sides[i / 16 % sides.Length]}.png";
            string path = Path.Combine(folder, "images", file);
            if (!File.Exists(path))
            {
                using var bitmap = new SKBitmap(sides[i / 4 % sides.Length], sides[i / 16 % sides.Length]);
                bitmap.Erase(color);
                using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
                File.WriteAllBytes(path, data.ToArray());
            }
            rows.Add(new JsonObject
            {
                ["id"] = $"row-{i}",
                ["image"] = file,
                ["conversations"] = new JsonArray(
                    new JsonObject { ["from"] = "human", ["value"] = "<image>\nWhat colour is the image?" },
                    new JsonObject { ["from"] = "gpt", ["value"] = name }),
            });
        }
        File.WriteAllText(Path.Combine(folder, "train.json"), new JsonArray(rows.Take(32).Select(r => r!.DeepClone()).ToArray()).ToJsonString());
        // Test rows in CoIN's form: question_id, image, text, answer.
        var test = rows.Skip(32).Select(r => (JsonNode)new JsonObject
        {
            ["question_id"] = r!["id"]!.GetValue<string>(),
            ["image"] = r["image"]!.GetValue<string>(),
            ["text"] = "What colour is the image?",
            ["answer"] = r["conversations"]![1]!["value"]!.GetValue<string>(),
        }).ToArray();
        File.WriteAllText(Path.Combine(folder, "test.json"), new JsonArray(test).ToJsonString());
        return folder;
    }

    private static string Experiment(string directory, string stream, int workers, int preparedCacheMiB) => CoinProcess.WriteQuickExperiment(directory, json =>
    {
        json["data"] = JsonNode.Parse($$"""
        {
          "type": "coin-files", "workers": {{workers}}, "prefetchSteps": 3,
          "options": { "root": "{{stream}}", "mediaFolder": "{{stream}}/images",
                       "tasks": [ { "name": "Colour", "train": "train.json", "test": "test.json", "metric": "exact-match" } ] }
        }
        """);
        json["training"] = JsonNode.Parse($$"""{ "epochs": 2, "batchSize": 4, "preparedCacheMiB": {{preparedCacheMiB}}, "checkpointEverySteps": 4 }""");
        json["pretraining"] = new JsonObject { ["epochs"] = 0 };
    });

    [Test]
    public void A_run_with_workers_computes_what_a_run_without_them_computes()
    {
        string stream = WriteStream(TestPaths.NewTemporaryDirectory("workers-stream"));
        string without = TestPaths.NewTemporaryDirectory("workers-0");
        var first = CoinProcess.Run(without, "run", Experiment(without, stream, workers: 0, preparedCacheMiB: 1024));
        Assert.That(first.ExitCode, Is.EqualTo(0), first.ToString());
        string with = TestPaths.NewTemporaryDirectory("workers-2");
        // No cache: every step's files come from the workers (or, where a worker had not started one, the step).
        var second = CoinProcess.Run(with, "run", Experiment(with, stream, workers: 2, preparedCacheMiB: 0));
        Assert.That(second.ExitCode, Is.EqualTo(0), second.ToString());

        string a = Directory.GetDirectories(Path.Combine(without, "runs")).Single(), b = Directory.GetDirectories(Path.Combine(with, "runs")).Single();
        foreach (string file in new[] { "steps.csv", "accuracy-matrix.csv" }.Concat(Directory.GetFiles(Path.Combine(a, "predictions")).Select(p => Path.Combine("predictions", Path.GetFileName(p)))))
            Assert.That(File.ReadAllText(Path.Combine(b, file)), Is.EqualTo(File.ReadAllText(Path.Combine(a, file))), file);
        var training = JsonNode.Parse(File.ReadAllText(Path.Combine(b, "results.json")))!["training"]![0]!;
        Assert.That(training["inputWaitSeconds"]!.GetValue<double>(), Is.GreaterThanOrEqualTo(0).And.LessThanOrEqualTo(training["trainSeconds"]!.GetValue<double>()));
        var resolved = JsonNode.Parse(File.ReadAllText(Path.Combine(b, "experiment.json")))!;
        Assert.That(resolved["data"]!["workers"]!.GetValue<int>(), Is.EqualTo(2), "the resolved experiment records the workers");
    }
}
