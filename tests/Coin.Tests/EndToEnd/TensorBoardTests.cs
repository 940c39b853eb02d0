using System.Text.Json;
using Coin.Tests.Support;

namespace Coin.Tests.EndToEnd;

/// <summary>TensorBoard event files in a run folder, read back from their bytes: tags, steps and values equal what
/// steps.csv and results.json say.</summary>
[Parallelizable(ParallelScope.Self)]
public class TensorBoardTests
{
    [Test]
    public void A_run_writes_its_scalars_evaluations_metrics_and_matrix_image_to_tensorboard()
    {
        string directory = TestPaths.NewTemporaryDirectory("tensorboard");
        double started = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var run = CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory, json => json["evaluation"]!["zeroShot"] = true));
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        double ended = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1;
        string folder = Directory.GetDirectories(Path.Combine(directory, "runs")).Single();
        string file = Directory.GetFiles(Path.Combine(folder, "tensorboard"), "events.out.tfevents.*").Single();
        var events = TensorBoardEvents.Read(file);

        // Named and stamped as PyTorch's writer does, in seconds since the Unix epoch, so that TensorBoard sorts and
        // times Coin's files among PyTorch's (TorchSharp's writer used .NET ticks, and 0 as every event's time).
        var name = System.Text.RegularExpressions.Regex.Match(Path.GetFileName(file), @"^events\.out\.tfevents\.(\d{10})\.[^.]+\.\d+\.\d+$");
        Assert.That(name.Success, Path.GetFileName(file));
        Assert.That(double.Parse(name.Groups[1].Value), Is.InRange(started, ended));
        Assert.That(events.Select(e => e.WallTime), Has.All.InRange(started, ended), "every event's wall time, in seconds");

        var steps = File.ReadAllLines(Path.Combine(folder, "steps.csv")).Skip(1).Select(l => l.Split(','))
            .Where(f => f[2] == "loss").Select(f => (Step: long.Parse(f[1]), Value: float.Parse(f[3]))).ToList();
        var losses = events.Where(e => e.Tag == "train/loss").Select(e => (e.Step, Value: e.Scalar!.Value)).ToList();
        Assert.That(losses.Select(l => l.Step), Is.EqualTo(steps.Select(s => s.Step)), "one loss per step, at its global step");
        Assert.That(losses.Select(l => l.Value), Is.EqualTo(steps.Select(s => s.Value)).Within(1e-5));

        var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "results.json"))).RootElement;
        var matrix = results.GetProperty("accuracyMatrix").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        int stepsPerTask = steps.Count / 2;
        Assert.That(events.Single(e => e.Tag == "eval/position" && e.Step == 2 * stepsPerTask).Scalar, Is.EqualTo((float)matrix[1][1]).Within(1e-4));
        Assert.That(events.Single(e => e.Tag == "eval/color" && e.Step == stepsPerTask).Scalar, Is.EqualTo((float)matrix[0][0]).Within(1e-4));
        Assert.That(events.Count(e => e.Tag == "eval/color" && e.Step == 0), Is.EqualTo(1), "the zero-shot row at step 0");
        double acc = results.GetProperty("metrics").GetProperty("finalAverageAccuracy").GetDouble();
        Assert.That(events.Last(e => e.Tag == "continual/ACC").Scalar, Is.EqualTo((float)acc).Within(1e-4));
        Assert.That(events.Where(e => e.Tag == "train/lr/backbone"), Is.Not.Empty, "every step-log scalar, learning rates included");
        Assert.That(events.Single(e => e.Tag == "eval/accuracy-matrix").IsImage, "the heatmap as an image");

        // The instruction-format analysis rides on the same evaluations: every task at every stage, in results and report.
        var formats = results.GetProperty("answerFormats").EnumerateArray().ToList();
        Assert.That(formats, Has.Count.EqualTo(3 * 2), "zero-shot + 2 stages, 2 tasks each");
        Assert.That(formats.Select(f => f.GetProperty("afterTask").GetString()).Distinct(), Is.EqualTo(new[] { "(zero-shot)", "color", "position" }));
        Assert.That(File.ReadAllText(Path.Combine(folder, "report.md")), Does.Contain("## Answers out of their task's format (%)"));
    }

    [Test]
    public void Reporting_tensorboard_false_writes_no_event_file()
    {
        string directory = TestPaths.NewTemporaryDirectory("tensorboard-off");
        var run = CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory, json =>
            json["reporting"] = new System.Text.Json.Nodes.JsonObject { ["tensorboard"] = false }));
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        string folder = Directory.GetDirectories(Path.Combine(directory, "runs")).Single();
        Assert.That(Directory.Exists(Path.Combine(folder, "tensorboard")), Is.False);
    }
}
