using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Tests.Support;

namespace Coin.Tests.EndToEnd;

/// <summary>The run journal through the host, as a cluster uses it: preemption by SIGTERM, many runs of one experiment
/// started at once, a shared base-model cache, resuming folders that have no checkpoint yet, edited experiments,
/// and the crash campaign (random SIGKILLs, resumed, compared byte for byte).</summary>
[Parallelizable(ParallelScope.All)]
public class RunJournalTests
{
    private static JsonElement Results(string runDirectory) => JsonDocument.Parse(File.ReadAllText(Path.Combine(runDirectory, "results.json"))).RootElement;

    private static string[] Runs(string directory) => Directory.GetDirectories(Path.Combine(directory, "runs")).Order().ToArray();

    private static Process Start(string directory, params string[] args)
    {
        var process = CoinProcess.Start(directory, args);
        process.BeginOutputReadLine();
        return process;
    }

    private static string LongerQuickExperiment(string directory) => CoinProcess.WriteQuickExperiment(directory, json =>
    {
        // 15 steps per task: SIGTERM comes once the second task has started, and its 15 steps and evaluation (~0.8 s
        // on an idle core) are the time it has to arrive in; every step more is trained three times.
        json["data"]!["options"]!["trainPerTask"] = 240;
        json["training"]!["checkpointEverySteps"] = 5;
    });

    [Test]
    public void Sigterm_checkpoints_exits_with_143_and_the_resumed_run_equals_an_uninterrupted_one()
    {
        string reference = TestPaths.NewTemporaryDirectory("sigterm-reference");
        var whole = CoinProcess.Run(reference, "run", LongerQuickExperiment(reference));
        Assert.That(whole.ExitCode, Is.EqualTo(0), whole.ToString());

        string stopped = TestPaths.NewTemporaryDirectory("sigterm");
        using (var process = Start(stopped, "run", LongerQuickExperiment(stopped)))
        {
            var clock = Stopwatch.StartNew();
            while (!InSecondTask(stopped) && !process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(10);
            Assert.That(process.HasExited, Is.False, "still running when preempted");
            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString()])) term.WaitForExit();
            Assert.That(process.WaitForExit(TimeSpan.FromMinutes(1)), "stops soon after SIGTERM");
            Assert.That(process.ExitCode, Is.EqualTo(143));
        }
        string run = Runs(stopped).Single();
        Assert.That(Results(run).GetProperty("status").GetString(), Is.EqualTo("interrupted"));
        Assert.That(Coin.Engine.Journal.OwnerLock.IsHeld(Path.Combine(run, "run.lock"), out _), Is.False, "the lock is released");

        var resumed = CoinProcess.Run(stopped, "run", "--resume", run);
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.ToString());
        string expected = Runs(reference).Single();
        Assert.That(Results(run).GetProperty("accuracyMatrix").GetRawText(), Is.EqualTo(Results(expected).GetProperty("accuracyMatrix").GetRawText()));
        Assert.That(File.ReadAllText(Path.Combine(run, "steps.csv")), Is.EqualTo(File.ReadAllText(Path.Combine(expected, "steps.csv"))));
    }

    private static bool InSecondTask(string directory)
    {
        string runs = Path.Combine(directory, "runs");
        if (!Directory.Exists(runs)) return false;
        return Directory.GetDirectories(runs).Any(run =>
        {
            try
            {
                return JsonNode.Parse(File.ReadAllText(Path.Combine(run, "checkpoint", "state.json")))!["position"]!["taskIndex"]!.GetValue<int>() == 1;
            }
            catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
            {
                return false;
            }
        });
    }

    [Test]
    public void Two_runs_of_one_experiment_started_at_once_get_two_folders_and_both_complete()
    {
        string directory = TestPaths.NewTemporaryDirectory("same-second");
        string experiment = CoinProcess.WriteQuickExperiment(directory);
        using var first = Start(directory, "run", experiment);
        using var second = Start(directory, "run", experiment);
        Assert.That(first.WaitForExit(TimeSpan.FromMinutes(3)) && second.WaitForExit(TimeSpan.FromMinutes(3)));
        Assert.That((first.ExitCode, second.ExitCode), Is.EqualTo((0, 0)));
        var runs = Runs(directory);
        Assert.That(runs, Has.Length.EqualTo(2));
        Assert.That(runs.Select(r => Results(r).GetProperty("status").GetString()), Is.All.EqualTo("completed"));
    }

    [Test]
    public void Runs_sharing_an_uncached_base_model_train_it_once()
    {
        string directory = TestPaths.NewTemporaryDirectory("shared-base");
        string experiment = CoinProcess.WriteQuickExperiment(directory, json =>
        {
            json["data"] = JsonNode.Parse("""{ "type": "mini-coin", "options": { "tasks": ["ScienceQA"], "trainPerTask": 16, "testPerTask": 8, "pretrainSamples": 256 } }""");
            json["pretraining"] = JsonNode.Parse("""{ "epochs": 1 }""");
        });
        var processes = Enumerable.Range(0, 3).Select(_ => Start(directory, "run", experiment)).ToList();
        foreach (var process in processes)
        {
            Assert.That(process.WaitForExit(TimeSpan.FromMinutes(4)));
            Assert.That(process.ExitCode, Is.EqualTo(0));
            process.Dispose();
        }
        var origins = Runs(directory).Select(r => Results(r).GetProperty("baseModel").GetProperty("origin").GetString()).Order().ToList();
        Assert.That(origins, Is.EqualTo(new[] { "cache", "cache", "trained" }));
        Assert.That(Directory.GetFiles(Path.Combine(CoinProcess.CacheOf(directory), "base-models"), "*.lock").Where(l => Coin.Engine.Journal.OwnerLock.IsHeld(l, out _)), Is.Empty,
            "the cache lock is released");
        // Every run's step log holds the first stage's rows, whether it trained the base model or loaded it.
        var pretrainRows = Runs(directory).Select(r => File.ReadLines(Path.Combine(r, "steps.csv")).Count(l => l.StartsWith("pretrain,"))).Distinct().ToList();
        Assert.That(pretrainRows, Has.Count.EqualTo(1));
        Assert.That(pretrainRows[0], Is.GreaterThan(0));
    }

    [Test]
    public void A_folder_killed_before_its_first_checkpoint_restarts_and_an_edited_experiment_is_refused()
    {
        string directory = TestPaths.NewTemporaryDirectory("no-checkpoint");
        var done = CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory, json => json["evaluation"]!["zeroShot"] = true));
        Assert.That(done.ExitCode, Is.EqualTo(0), done.ToString());
        string run = Runs(directory).Single();
        string expectedMatrix = File.ReadAllText(Path.Combine(run, "accuracy-matrix.csv"));
        string expectedSteps = File.ReadAllText(Path.Combine(run, "steps.csv"));

        // What a kill during the zero-shot evaluation leaves: no checkpoint, results still "running", the owner's description.
        Directory.Delete(Path.Combine(run, "checkpoint"), recursive: true);
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "results.json")))!.AsObject();
        results["status"] = "running";
        File.WriteAllText(Path.Combine(run, "results.json"), results.ToJsonString());
        File.WriteAllText(Path.Combine(run, "run.lock.owner"), $$"""{"Host":"{{Environment.MachineName}}","Pid":999999,"ProcessStartUtc":"2026-01-01T00:00:00Z"}""");
        foreach (string plot in Directory.GetFiles(run, "*.png")) File.Delete(plot);

        string experimentFile = Path.Combine(run, "experiment.json");
        string original = File.ReadAllText(experimentFile);
        var edited = JsonNode.Parse(original)!;
        edited["training"]!["batchSize"] = 8;
        File.WriteAllText(experimentFile, edited.ToJsonString());
        var refused = CoinProcess.Run(directory, "run", "--resume", run);
        Assert.That(refused.ExitCode, Is.EqualTo(2), refused.ToString());
        Assert.That(refused.Error, Does.Contain("was changed after the run started").And.Contain("training.batchSize: 16 → 8"));

        File.WriteAllText(experimentFile, original);
        var resumed = CoinProcess.Run(directory, "run", "--resume", run);
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.ToString());
        Assert.That(File.ReadAllText(Path.Combine(run, "accuracy-matrix.csv")), Is.EqualTo(expectedMatrix));
        Assert.That(File.ReadAllText(Path.Combine(run, "steps.csv")), Is.EqualTo(expectedSteps));
        Assert.That(File.Exists(Path.Combine(run, "accuracy-matrix.png")));
    }

    [Test]
    public void Coin_report_writes_a_completed_runs_report_and_plots_again()
    {
        string directory = TestPaths.NewTemporaryDirectory("report");
        // A copy of the quick run other tests read too, trained once (SharedQuickRuns): this test changes only its copy.
        var (done, _) = SharedQuickRuns.CopyInto(directory);
        Assert.That(done.ExitCode, Is.EqualTo(0), done.ToString());
        string run = Runs(directory).Single();
        string report = File.ReadAllText(Path.Combine(run, "report.md"));
        File.Delete(Path.Combine(run, "report.md"));
        File.Delete(Path.Combine(run, "loss.png"));
        var again = CoinProcess.Run(directory, "report", run);
        Assert.That(again.ExitCode, Is.EqualTo(0), again.ToString());
        Assert.That(File.ReadAllText(Path.Combine(run, "report.md")), Is.EqualTo(report));
        Assert.That(File.Exists(Path.Combine(run, "loss.png")));
    }

    // One random kill repeats what the resume tests show at chosen points; the suite leaves it to .ci/soak (and the
    // 20-kill campaign to experiments/crash-campaign.sh).
    [Test, Category(Soak.Category)]
    public void The_crash_campaign_resumes_every_killed_run_to_identical_results()
    {
        string work = TestPaths.NewTemporaryDirectory("crash-campaign");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TestPaths.Root };
        foreach (string arg in new[] { Path.Combine(TestPaths.Root, "experiments", "crash-campaign.sh"), "1" }) start.ArgumentList.Add(arg);
        start.Environment["CRASH_WORK"] = work;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.That(process.WaitForExit(TimeSpan.FromMinutes(5)), "the campaign finishes");
        TestContext.Out.WriteLine(output.Result);
        Assert.That(process.ExitCode, Is.EqualTo(0), output.Result + error.Result);
        Assert.That(output.Result, Does.Contain("1/1 identical"));
    }
}
