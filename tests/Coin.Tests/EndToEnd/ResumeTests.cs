using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Tests.Support;

namespace Coin.Tests.EndToEnd;

/// <summary><c>coin run --resume</c>: a run killed mid-task (a process kill, no chance to clean up) continues from its
/// last checkpoint and ends with exactly the accuracy matrix and losses of a run that was never stopped.</summary>
[Parallelizable(ParallelScope.All)]
public class ResumeTests
{
    /// <param name="precision">bfloat16 runs with LoRA, so that frozen weights are stored in bfloat16 too.</param>
    /// <param name="adapter">An adapter that changes per task (O-LoRA, a LoRA bank) must come back with every task's
    /// modules (and the bank with its routing prototypes, which decide every task-agnostic answer).</param>
    private static string Experiment(string directory, string continual, string precision, string? adapter = null) => CoinProcess.WriteQuickExperiment(directory, json =>
    {
        json["training"]!["precision"] = precision;
        if (precision == "bfloat16") json["model"] = new JsonObject { ["adapter"] = new JsonObject { ["type"] = "lora" } };
        if (adapter is not null) json["model"] = new JsonObject { ["adapter"] = new JsonObject { ["type"] = adapter } };
        // 20 steps per task: the kill comes at the checkpoint of step 10 of the second task (KilledRun), and the 10 steps
        // and the evaluation after it (~0.8 s on an idle core) are the time it has to arrive in; every step more is
        // trained twice or three times.
        json["data"]!["options"]!["trainPerTask"] = 320;
        json["training"]!["checkpointEverySteps"] = 5;
        // "a+b" composes two methods (contract 2.0): each keeps its own state under its own checkpoint key.
        json["continual"] = continual.Contains('+')
            ? new JsonArray(continual.Split('+').Select(c => (JsonNode)new JsonObject { ["type"] = c }).ToArray())
            : new JsonObject { ["type"] = continual };
    });

    private static JsonElement Results(string runDirectory) => JsonDocument.Parse(File.ReadAllText(Path.Combine(runDirectory, "results.json"))).RootElement;

    private static string OnlyRun(string directory) => Directory.GetDirectories(Path.Combine(directory, "runs")).Single();

    // The suite keeps one case (two composed methods' states under their own keys); `.ci/soak` runs the rest.
    [TestCase("llaca", "float32", Category = Soak.Category)]
    [TestCase("replay", "float32", Category = Soak.Category)]
    [TestCase("lwf", "bfloat16", Category = Soak.Category)]
    [TestCase("replay+llaca", "float32")]
    [TestCase("sequential", "float32", "olora", Category = Soak.Category)]
    [TestCase("sequential", "float32", "lora-bank", Category = Soak.Category)]
    public void A_killed_run_resumes_to_the_same_results_as_an_uninterrupted_one(string continual, string precision, string? adapter = null)
    {
        string reference = TestPaths.NewTemporaryDirectory("resume-reference");
        var whole = CoinProcess.Run(reference, "run", Experiment(reference, continual, precision, adapter));
        Assert.That(whole.ExitCode, Is.EqualTo(0), whole.ToString());

        string killed = TestPaths.NewTemporaryDirectory("resume-killed");
        string experiment = Experiment(killed, continual, precision, adapter);
        KilledRun.RunUntilMidSecondTask(killed, experiment);
        string runDirectory = OnlyRun(killed);
        Assert.That(Results(runDirectory).GetProperty("accuracyMatrix").GetArrayLength(), Is.EqualTo(1), "killed during the second task");

        var resumed = CoinProcess.Run(killed, "run", "--resume", runDirectory);
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.ToString());
        Assert.That(resumed.Output, Does.Contain("resuming before step"));

        var expected = Results(OnlyRun(reference));
        var actual = Results(runDirectory);
        Assert.That(actual.GetProperty("status").GetString(), Is.EqualTo("completed"));
        Assert.That(actual.GetProperty("accuracyMatrix").GetRawText(), Is.EqualTo(expected.GetProperty("accuracyMatrix").GetRawText()));
        var losses = (JsonElement r) => r.GetProperty("training").EnumerateArray().Select(t => (t.GetProperty("firstLoss").GetDouble(), t.GetProperty("finalLoss").GetDouble())).ToList();
        Assert.That(losses(actual), Is.EqualTo(losses(expected)), "bit-identical losses after the resume");
        // The step log has every step once, as the uninterrupted run's.
        Assert.That(File.ReadAllText(Path.Combine(runDirectory, "steps.csv")), Is.EqualTo(File.ReadAllText(Path.Combine(OnlyRun(reference), "steps.csv"))));
        // So has the task log (replay records its memory's size at each task's end).
        Assert.That(File.ReadAllText(Path.Combine(runDirectory, "task-log.csv")), Is.EqualTo(File.ReadAllText(Path.Combine(OnlyRun(reference), "task-log.csv"))));
        // TensorBoard is rewritten from the rolled-back journal on resume: every step once, as in the uninterrupted run.
        List<(long, float?)> Losses(string run) => TensorBoardEvents.Read(Directory.GetFiles(Path.Combine(run, "tensorboard"), "events.out.tfevents.*").Single())
            .Where(e => e.Tag == "train/loss").Select(e => (e.Step, e.Scalar)).ToList();
        Assert.That(Losses(runDirectory), Is.EqualTo(Losses(OnlyRun(reference))));
    }

    /// <summary>A kill between a task's end hooks and the next checkpoint: the resumed run passes that task's end
    /// again, and a plugin's own file would keep its rows twice (issue 28). TaskContext.Record's rows are once.</summary>
    [Test]
    public void Figures_recorded_per_task_are_kept_once_when_a_run_is_killed_right_after_a_tasks_end()
    {
        string directory = TestPaths.NewTemporaryDirectory("task-log");
        var killed = CoinProcess.RunQuickWithFixturePlugins(directory, "continual.type=task-recorder", "continual.options.killAfterTaskEnd=color");
        Assert.That(killed.ExitCode, Is.Not.EqualTo(0), killed.ToString());
        string run = OnlyRun(directory);
        Assert.That(File.Exists(Path.Combine(run, "fixture-killed-once")), "the fixture killed the run after the first task's end");
        Assert.That(File.ReadAllText(Path.Combine(run, "task-log.csv")), Does.Contain("color,continual,ended,0\n"), "the row was written before the kill");

        var resumed = CoinProcess.Run(directory, "run", "--resume", run);
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.ToString());
        Assert.That(File.ReadAllText(Path.Combine(run, "task-log.csv")), Is.EqualTo(
            "task,component,name,value\n" +
            "color,continual,started,0\ncolor,continual,ended,0\ncolor,continual,training samples,48\n" +
            "position,continual,started,1\nposition,continual,ended,1\nposition,continual,training samples,48\n"));
    }

    [Test]
    public void Resuming_a_completed_run_or_a_folder_that_is_no_run_is_refused()
    {
        string directory = TestPaths.NewTemporaryDirectory("resume-refused");
        // A copy of the quick run other tests read too, trained once (SharedQuickRuns): every resume here is refused.
        var (done, _) = SharedQuickRuns.CopyInto(directory);
        Assert.That(done.ExitCode, Is.EqualTo(0), done.ToString());

        var again = CoinProcess.Run(directory, "run", "--resume", OnlyRun(directory));
        Assert.That(again.ExitCode, Is.EqualTo(2));
        Assert.That(again.Error, Does.Contain("already completed"));

        var nothing = CoinProcess.Run(directory, "run", "--resume", directory);
        Assert.That(nothing.ExitCode, Is.EqualTo(2));
        Assert.That(nothing.Error, Does.Contain("experiment.json is missing"));

        var mixed = CoinProcess.Run(directory, "run", "--resume", OnlyRun(directory), "--set", "seed=3");
        Assert.That(mixed.ExitCode, Is.EqualTo(2));
        Assert.That(mixed.Error, Does.Contain("keeps the configuration it started with"));
    }
}
