using System.Text.Json;
using Coin.Tests.Support;

namespace Coin.Tests.EndToEnd;

/// <summary>The host as a user runs it: a small experiment trains, evaluates, prints the matrix and writes results.</summary>
[Parallelizable(ParallelScope.All)]
public class RunCommandTests
{
    private static JsonElement ReadResults(string workingDirectory)
    {
        string runs = Path.Combine(workingDirectory, "runs");
        string folder = Directory.GetDirectories(runs).Single();
        return JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "results.json"))).RootElement;
    }

    private static double[][] Matrix(JsonElement results)
        => results.GetProperty("accuracyMatrix").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();

    [Test]
    public void AQuickExperimentWritesTheMatrixAndResults()
    {
        string directory = TestPaths.NewTemporaryDirectory("run");
        // The seed-7 quick run other tests read too, trained once (SharedQuickRuns); this test checks its output and a
        // copy of its folder.
        var (result, _) = SharedQuickRuns.CopyInto(directory);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Output, Does.Contain("Accuracy (%) after each task").And.Contain("device cpu"));
        // jemalloc where the machine has it; else a model this small keeps glibc's fast default (the compact setting
        // made small steps 3-8x slower). AllocatorTests runs both.
        Assert.That(result.Output, Does.Contain(Coin.Engine.Runtime.CachingAllocator.FindLibrary() is null ? "allocator: glibc's default" : "allocator: jemalloc ("));

        var results = ReadResults(directory);
        Assert.That(results.GetProperty("status").GetString(), Is.EqualTo("completed"));
        Assert.That(results.GetProperty("seed").GetInt32(), Is.EqualTo(7));
        Assert.That(results.GetProperty("tasks").EnumerateArray().Select(t => t.GetString()), Is.EqualTo(new[] { "color", "position" }));
        var matrix = Matrix(results);
        Assert.That(matrix, Has.Length.EqualTo(2).And.All.Length.EqualTo(2));
        Assert.That(matrix.SelectMany(r => r), Has.All.InRange(0.0, 100.0));
        Assert.That(results.GetProperty("scores").GetArrayLength(), Is.EqualTo(4));
        // The resolved configuration records every default, including the plugin's own options.
        var config = results.GetProperty("config");
        Assert.That(config.GetProperty("training").GetProperty("epochs").GetInt32(), Is.EqualTo(1));
        Assert.That(config.GetProperty("model").GetProperty("backbone").GetProperty("options").GetProperty("preset").GetString(), Is.EqualTo("tiny"));
        Assert.That(results.GetProperty("threads").GetInt32(), Is.EqualTo(1), "COIN_THREADS from the environment is applied");
        Assert.That(results.GetProperty("versions").GetProperty("torchSharp").GetString(), Is.EqualTo("0.107.0"));
        string folder = Directory.GetDirectories(Path.Combine(directory, "runs")).Single();
        foreach (string plot in new[] { "accuracy-matrix.png", "accuracy-by-task.png", "loss.png" })
            Assert.That(File.ReadAllBytes(Path.Combine(folder, plot))[..4], Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }), plot);
        Assert.That(File.ReadAllText(Path.Combine(folder, "accuracy-matrix.csv")), Does.StartWith("after,color,position\ncolor,"));
        foreach (var training in results.GetProperty("training").EnumerateArray())
            Assert.That(training.GetProperty("finalLoss").GetDouble(), Is.LessThan(training.GetProperty("firstLoss").GetDouble()));

        // Every answer of every stage, one JSON line each, with the reference it was scored against.
        var stages = Directory.GetFiles(Path.Combine(folder, "predictions")).Select(Path.GetFileName);
        Assert.That(stages, Is.EquivalentTo(new[] { "after-01-color.jsonl", "after-02-position.jsonl" }));
        var rows = File.ReadAllLines(Path.Combine(folder, "predictions", "after-02-position.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        int tested = results.GetProperty("scores").EnumerateArray().Where(s => s.GetProperty("afterTask").GetString() == "position").Sum(s => s.GetProperty("count").GetInt32());
        Assert.That(rows, Has.Count.EqualTo(tested));
        Assert.That(rows.Select(r => r.GetProperty("task").GetString()).Distinct(), Is.EqualTo(new[] { "color", "position" }));
        Assert.That(rows.All(r => r.GetProperty("answer").GetString()!.Length > 0 && r.TryGetProperty("prediction", out _) && r.TryGetProperty("question_id", out _)));
    }

    [Test]
    public void TheSameSeedGivesTheSameResults()
    {
        string first = TestPaths.NewTemporaryDirectory("seed"), second = TestPaths.NewTemporaryDirectory("seed");
        // The first is the seed-7 run other tests share (trained by another process, SharedQuickRuns); the second is
        // trained here: two processes that must agree.
        Assert.That(SharedQuickRuns.CopyInto(first).Result.ExitCode, Is.EqualTo(0));
        Assert.That(CoinProcess.Run(second, "run", CoinProcess.WriteQuickExperiment(second)).ExitCode, Is.EqualTo(0));
        var a = ReadResults(first);
        var b = ReadResults(second);
        Assert.That(Matrix(a), Is.EqualTo(Matrix(b)));
        var lossesA = a.GetProperty("training").EnumerateArray().Select(t => t.GetProperty("finalLoss").GetDouble());
        var lossesB = b.GetProperty("training").EnumerateArray().Select(t => t.GetProperty("finalLoss").GetDouble());
        Assert.That(lossesA, Is.EqualTo(lossesB));
    }

    [Test]
    public void ADifferentSeedGivesDifferentTraining()
    {
        string first = TestPaths.NewTemporaryDirectory("seed"), second = TestPaths.NewTemporaryDirectory("seed");
        // The seed-7 and seed-8 quick runs that other tests read too, each trained once (SharedQuickRuns).
        Assert.That(SharedQuickRuns.CopyInto(first).Result.ExitCode, Is.EqualTo(0));
        Assert.That(SharedQuickRuns.CopyInto(second, "--seed", "8").Result.ExitCode, Is.EqualTo(0));
        var lossesA = ReadResults(first).GetProperty("training").EnumerateArray().Select(t => t.GetProperty("finalLoss").GetDouble());
        var lossesB = ReadResults(second).GetProperty("training").EnumerateArray().Select(t => t.GetProperty("finalLoss").GetDouble());
        Assert.That(lossesA, Is.Not.EqualTo(lossesB));
    }

    /// <summary>One torch thread for the bench, as every child host of the tests has (COIN_THREADS, which bench does not
    /// read: it takes every core unless given --threads). Beside the other test running at the same time, two threads
    /// on this 2-core machine spin at every barrier while one waits for a core: beside busy processes, the memory
    /// suite took 40 s on 2 threads and 4 s on 1. None of these tests checks a thread count or a speed, only what is
    /// printed.</summary>
    private const string BenchThreads = "1";

    [Test]
    public void BenchPrintsStepTimeAndThroughputPerPreset()
    {
        var result = CoinProcess.Run(TestPaths.NewTemporaryDirectory("bench"), "bench", "--suite", "hardware,profile", "--presets", "tiny", "--steps", "1",
            "--tokens", "16", "--batch", "2", "--blocks", "2", "--peak-sizes", "128,256", "--threads", BenchThreads);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Output, Does.Contain("matmul peak float32").And.Contain("bfloat16").And.Contain("bf16-mixed ms/step").And.Contain("speed-up"));
        Assert.That(result.Output, Does.Match(@"│ tiny\s+│ [0-9,]+\s+│ 2 × 16\s+│ [0-9.]+\s+│ [0-9.]+\s+│ [0-9.]+x \("));
        Assert.That(result.Output, Does.Contain("Profile of a tiny training step").And.Match(@"│ backward\s+│ [0-9.]+\s+│ [0-9]+%"));
    }

    [Test]
    public void Bench_compares_the_loss_curves_of_float32_and_mixed_precision()
    {
        string directory = TestPaths.NewTemporaryDirectory("bench-precision");
        var result = CoinProcess.Run(directory, "bench", "--suite", "precision", "--precision-steps", "20", "--batch", "2", "--tokens", "32", "--out", "out",
            "--threads", BenchThreads);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Output, Does.Contain("final loss (mean of the last 5% of steps)"), result.ToString());
        var rows = File.ReadAllLines(Path.Combine(directory, "out", "precision-loss.csv"));
        Assert.That(rows[0], Is.EqualTo("step,float32,bfloat16"));
        Assert.That(rows, Has.Length.EqualTo(21), "one row per step");
        var first = rows[1].Split(',').Skip(1).Select(double.Parse).ToArray();
        Assert.That(first[1], Is.Not.EqualTo(first[0]).And.EqualTo(first[0]).Within(2).Percent, "the same first batch, computed in two precisions");
        Assert.That(File.Exists(Path.Combine(directory, "out", "precision-loss.png")));
    }

    [Test]
    public void BenchMeasuresMemoryOverTrainingSteps()
    {
        var result = CoinProcess.Run(TestPaths.NewTemporaryDirectory("bench-memory"), "bench", "--suite", "memory", "--memory-steps", "2", "--threads", BenchThreads);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Output, Does.Contain("Memory (default model, 32 training steps").And.Contain("growth"));
    }

    [Test]
    public void PluginsListsEveryBuiltIn()
    {
        var result = CoinProcess.Run(TestPaths.NewTemporaryDirectory("plugins"), "plugins");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        foreach (string name in new[] { "llama", "tiny-cnn", "mlp2x-gelu", "full", "constant", "sequential", "exact-match", "shapes" })
            Assert.That(result.Output, Does.Contain($" {name} "));
        Assert.That(result.Output, Does.Not.Contain("failed"));
    }
}
