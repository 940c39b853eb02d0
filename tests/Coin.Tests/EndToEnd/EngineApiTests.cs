using System.Text.Json;
using Coin.Abstractions.Training;
using Coin.Engine.Configuration;
using Coin.Engine.Plugins;
using Coin.Engine.Results;
using Coin.Engine.Running;
using Coin.Tests.Support;
using static TorchSharp.torch;

namespace Coin.Tests.EndToEnd;

/// <summary>The engine from another program (a notebook, a service): an experiment file loaded, the host's plugins
/// catalogued and the run loop driven with an observer of the program's own, with no console and no <c>coin</c>
/// process. Runs in the test process, so in NUnit's non-parallel shift (it sets libtorch's thread count).</summary>
public class EngineApiTests
{
    /// <summary>What a program's observer sees, in order.</summary>
    private sealed class RecordingObserver : IRunObserver
    {
        public List<string> Events { get; } = [];
        public List<string> Lines { get; } = [];
        public int Steps { get; private set; }

        public void Info(string line) => Lines.Add(line);

        public T Phase<T>(string title, int total, string unit, Func<IProgressSink, T> work)
        {
            Events.Add($"{title} ({total} {unit})");
            return work(new NullProgress());
        }

        public void Started(RunStart start) => Events.Add($"started {start.Device} {start.Threads} threads, resumed {start.Resumed}");
        public void Step(string task, long step, string name, double value) => Steps++;
        public void TaskEvaluated(TaskEvaluation evaluation) => Events.Add($"evaluated {evaluation.Task} at step {evaluation.GlobalStep}: {evaluation.Scores.Count} scores");
        public void Completing(RunCompletion completion) => Events.Add("completing");
        public void Completed(RunCompletion completion) => Events.Add($"completed {completion.Results.Status}");
        public void Closed() => Events.Add("closed");
    }

    [Test]
    public void An_experiment_runs_through_the_engine_alone_and_computes_what_the_coin_command_computes()
    {
        string directory = TestPaths.NewTemporaryDirectory("engine");
        // One thread, as the coin process below runs: libtorch orders float sums by the thread count.
        string file = CoinProcess.WriteQuickExperiment(directory, e => e["threads"] = 1);
        var observer = new RecordingObserver();
        string folder;
        // A program under another locale (decimal commas) still writes the files the coin command writes.
        var callerCulture = System.Globalization.CultureInfo.CurrentCulture;
        System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.GetCultureInfo("de-DE");
        try
        {
            var experiment = ExperimentLoader.FromFile(file, new Dictionary<string, string?> { ["training:epochs"] = "1" });
            folder = new ExperimentRunner(observer).Run(experiment, PluginCatalog.LoadForUse([TestPaths.HostPlugins]),
                runDirectory: Path.Combine(directory, "from-the-engine"));
        }
        finally
        {
            Assert.That(System.Globalization.CultureInfo.CurrentCulture.Name, Is.EqualTo("de-DE"), "the engine gives the caller its culture back");
            System.Globalization.CultureInfo.CurrentCulture = callerCulture;
            set_num_threads(Math.Max(1, Environment.ProcessorCount));
        }

        Assert.That(observer.Events, Is.EqualTo(new[]
        {
            "started cpu 1 threads, resumed False",
            "train color (3 steps)", "evaluate after color (32 samples)", "evaluated color at step 3: 2 scores",
            "train position (3 steps)", "evaluate after position (32 samples)", "evaluated position at step 6: 2 scores",
            "completing", "completed completed", "closed",
        }));
        Assert.That(observer.Steps, Is.GreaterThan(0), "every step row reaches the observer as well as steps.csv");
        Assert.That(observer.Lines, Has.Some.Matches(@"^components ready in \d+\.\d s"), "the run's lines are written in the invariant culture too");
        // The report files are an observer's (the coin command's ReportObserver); this program gave none.
        Assert.That(File.Exists(Path.Combine(folder, "report.html")), Is.False);

        var command = CoinProcess.Run(directory, "run", file);
        Assert.That(command.ExitCode, Is.EqualTo(0), command.ToString());
        string commandFolder = Directory.GetDirectories(Path.Combine(directory, "runs")).Single();
        Assert.That(File.Exists(Path.Combine(commandFolder, "report.html")), Is.True);
        foreach (string name in new[] { "steps.csv", Path.Combine("predictions", "after-01-color.jsonl"), Path.Combine("predictions", "after-02-position.jsonl") })
            Assert.That(File.ReadAllBytes(Path.Combine(folder, name)), Is.EqualTo(File.ReadAllBytes(Path.Combine(commandFolder, name))), name);
        string Scores(string run)
        {
            using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "results.json")));
            return results.RootElement.GetProperty("accuracyMatrix").GetRawText() + results.RootElement.GetProperty("scores").GetRawText();
        }
        Assert.That(Scores(folder), Is.EqualTo(Scores(commandFolder)));
    }
}
