using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Tests.Support;

namespace Coin.Tests.EndToEnd;

/// <summary>Ctrl+C (SIGINT) stops a run at the next step, keeps what was written, and exits with 130.</summary>
[Parallelizable(ParallelScope.Self)]
public class InterruptTests
{
    [Test]
    public void SigintStopsTheRunAndRecordsItAsInterrupted()
    {
        string directory = TestPaths.NewTemporaryDirectory("interrupt");
        // 20 steps per task: Ctrl+C comes after the first step and must find the run still in the first task, which
        // leaves it 19 steps (~0.9 s on an idle core); the resumed run trains the rest, so every step more is trained
        // once more.
        string experiment = CoinProcess.WriteQuickExperiment(directory, json =>
            json["data"]!["options"]!["trainPerTask"] = 320);
        using var process = CoinProcess.Start(directory, "run", experiment);
        var training = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) => { if (e.Data?.Contains("train color:") == true) training.TrySetResult(); };
        process.BeginOutputReadLine();
        Assert.That(training.Task.Wait(TimeSpan.FromMinutes(2)), "training started");

        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString()])) kill.WaitForExit();
        Assert.That(process.WaitForExit(TimeSpan.FromMinutes(1)), "the run stops soon after Ctrl+C");
        Assert.That(process.ExitCode, Is.EqualTo(130));
        string run = Directory.GetDirectories(Path.Combine(directory, "runs")).Single();
        string results = Path.Combine(run, "results.json");
        Assert.That(JsonDocument.Parse(File.ReadAllText(results)).RootElement.GetProperty("status").GetString(), Is.EqualTo("interrupted"));

        // Ctrl+C saved a checkpoint at the step it stopped before, so the run can go on from there.
        var position = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "checkpoint", "state.json"))).RootElement.GetProperty("position");
        Assert.That(position.GetProperty("taskIndex").GetInt32(), Is.EqualTo(0));
        // As if it had started on a machine with another thread count (threads: 0 takes every core): it goes on, and
        // says that its figures now differ in their last digits from an uninterrupted run.
        string statePath = Path.Combine(run, "checkpoint", "state.json");
        var state = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(statePath))!;
        state["journal"]!["results"]!["threads"] = 3;
        File.WriteAllText(statePath, state.ToJsonString());
        var resumed = CoinProcess.Run(directory, "run", "--resume", run);
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.ToString());
        Assert.That(resumed.Output, Does.Contain("the run started on cpu with 3 threads and resumes on cpu with 1"), resumed.ToString());
        Assert.That(JsonDocument.Parse(File.ReadAllText(results)).RootElement.GetProperty("status").GetString(), Is.EqualTo("completed"));
    }
}
