using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Tests.Support;

namespace Coin.Tests.EndToEnd;

/// <summary>Malformed input of every kind ends in one message naming the file, key or plugin, a non-zero exit and no
/// stack trace; a run that had started keeps its finished rows and its last good checkpoint.</summary>
[Parallelizable(ParallelScope.All)]
public class HostileInputTests
{
    private static void AssertRefused(CoinProcess.Result result, params string[] expected)
    {
        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Error, Does.StartWith("error: "), result.ToString());
        foreach (string text in expected) Assert.That(result.Error, Does.Contain(text), result.ToString());
        Assert.That(result.Error + result.Output, Does.Not.Contain("   at "), "no stack trace");
    }

    private static string Faulty(string directory)
    {
        string plugins = TestPaths.FaultyPluginsIn(directory);
        return plugins;
    }

    [TestCase("""{ "seed": 1, "seed": 2 }""", "'seed'")]
    [TestCase("""{ "training": { "epochs": 1, "Epochs": 2 } }""", "'training.Epochs'")]
    public void A_key_given_twice_is_named(string json, string key)
    {
        string directory = TestPaths.NewTemporaryDirectory("hostile");
        File.WriteAllText(Path.Combine(directory, "twice.json"), json);
        AssertRefused(CoinProcess.Run(directory, "run", "twice.json"), key, "appears more than once");
        Assert.That(Directory.Exists(Path.Combine(directory, "runs")), Is.False);
    }

    /// <summary>System.Text.Json parses an escaped unpaired surrogate and throws only when the string is read: in an
    /// experiment file (or any JSON the run reads) it is refused with the file and line instead of a stack trace.</summary>
    [TestCase("""{ "name": "a\ud800b" }""")]
    [TestCase("""{ "variables": { "x": "\udc00" } }""")]
    public void An_unpaired_surrogate_escape_in_an_experiment_file_is_named(string json)
    {
        string directory = TestPaths.NewTemporaryDirectory("hostile");
        File.WriteAllText(Path.Combine(directory, "surrogate.json"), json);
        AssertRefused(CoinProcess.Run(directory, "run", "surrogate.json"), "surrogate.json: line 1:", "unpaired UTF-16 surrogate escape");
    }

    [Test]
    public void An_empty_name_is_refused()
    {
        string directory = TestPaths.NewTemporaryDirectory("hostile");
        AssertRefused(CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory, json => json["name"] = "")), "name:", "a run needs a name");
    }

    [Test]
    public void An_unrelated_coin_variable_is_ignored_with_a_warning_and_a_bad_one_is_named()
    {
        string directory = TestPaths.NewTemporaryDirectory("hostile");
        string experiment = CoinProcess.WriteQuickExperiment(directory);
        var plugins = CoinProcess.RunWith(new Dictionary<string, string> { ["COIN_API_TOKEN"] = "secret" }, directory, "plugins");
        Assert.That(plugins.ExitCode, Is.EqualTo(0), plugins.ToString());
        Assert.That(plugins.Error, Does.Contain("environment variable COIN_API_TOKEN is ignored"));

        var typo = CoinProcess.RunWith(new Dictionary<string, string> { ["COIN_TRAINING__EPOCS"] = "2" }, directory, "run", experiment);
        AssertRefused(typo, "training.EPOCS: unknown key", "(from the environment variable COIN_TRAINING__EPOCS)");
    }

    [Test]
    public void A_plugin_whose_factory_throws_is_named_with_its_folder_and_leaves_no_run_folder()
    {
        string directory = TestPaths.NewTemporaryDirectory("hostile");
        var result = CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory), "--plugins", Faulty(directory),
            "--set", "evaluation.evaluator.type=null-in-factory");
        AssertRefused(result, "evaluation.evaluator: plugin 'null-in-factory'", "Faulty", "NullReferenceException");
        Assert.That(Directory.Exists(Path.Combine(directory, "runs")), Is.False, "a failed start leaves no folder");
    }

    [Test]
    public void An_evaluator_that_throws_mid_run_fails_the_run_and_keeps_its_checkpoint()
    {
        string directory = TestPaths.NewTemporaryDirectory("hostile");
        var result = CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory), "--plugins", Faulty(directory),
            "--set", "evaluation.evaluator.type=throws-when-scoring");
        AssertRefused(result, "evaluation.evaluator: scoring task 'color' failed in the plugin: IndexOutOfRangeException");
        string run = Directory.GetDirectories(Path.Combine(directory, "runs")).Single();
        var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "results.json"))).RootElement;
        Assert.That(results.GetProperty("status").GetString(), Does.StartWith("failed: evaluation.evaluator"));
        Assert.That(File.Exists(Path.Combine(run, "checkpoint", "state.json")), "the last good checkpoint is kept");
    }

    [Test]
    public void Damaged_checkpoints_and_caches_are_named()
    {
        string directory = TestPaths.NewTemporaryDirectory("hostile");
        string experiment = CoinProcess.WriteQuickExperiment(directory, json =>
        {
            // 6 steps per task, the fewest that leave room for the checkpoint at step 5 of the second task that the
            // edits below describe (the run itself is only the material for the refusals).
            json["data"]!["options"]!["trainPerTask"] = 96;
            json["training"]!["checkpointEverySteps"] = 5;
        });
        var done = CoinProcess.Run(directory, "run", experiment);
        Assert.That(done.ExitCode, Is.EqualTo(0), done.ToString());
        string run = Directory.GetDirectories(Path.Combine(directory, "runs")).Single();
        string state = Path.Combine(run, "checkpoint", "state.json");
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "results.json")))!.AsObject();
        results["status"] = "running";
        File.WriteAllText(Path.Combine(run, "results.json"), results.ToJsonString());

        // A checkpoint beyond the stream.
        var json = JsonNode.Parse(File.ReadAllText(state))!;
        json["position"]!["taskIndex"] = 7;
        File.WriteAllText(state, json.ToJsonString());
        AssertRefused(CoinProcess.Run(directory, "run", "--resume", run), "the checkpoint is at task 8 of [color, position]");

        // Results of both tasks at a position inside the second: the state contradicts itself.
        var contradictory = JsonNode.Parse(json.ToJsonString())!;
        contradictory["position"]!["taskIndex"] = 1;
        contradictory["position"]!["step"] = 5;
        contradictory["position"]!["globalStep"] = 11;
        File.WriteAllText(state, contradictory.ToJsonString());
        AssertRefused(CoinProcess.Run(directory, "run", "--resume", run), "the checkpoint is at task 2 but carries the results of 2 evaluated and 2 trained tasks; expected 1 of each");

        // From here on the journal carries the first task's results only, as a checkpoint inside the second task does.
        foreach (string list in new[] { "accuracyMatrix", "training" })
        {
            var entries = json["journal"]!["results"]![list]!.AsArray();
            while (entries.Count > 1) entries.RemoveAt(entries.Count - 1);
        }
        // ...but still the second task's scores and answer formats: the resumed run would add them again.
        var stray = JsonNode.Parse(json.ToJsonString())!;
        (stray["position"]!["taskIndex"], stray["position"]!["step"], stray["position"]!["globalStep"]) = (1, 5, 11);
        File.WriteAllText(state, stray.ToJsonString());
        AssertRefused(CoinProcess.Run(directory, "run", "--resume", run), "the checkpoint is at task 2 but its results hold scores after 'position'");
        foreach (string list in new[] { "scores", "answerFormats" })
        {
            var entries = json["journal"]!["results"]![list]!.AsArray();
            foreach (var entry in entries.Where(e => e!["afterTask"]!.GetValue<string>() == "position").ToList()) entries.Remove(entry);
        }
        // A row of a stage before the position, twice.
        var twice = JsonNode.Parse(json.ToJsonString())!;
        (twice["position"]!["taskIndex"], twice["position"]!["step"], twice["position"]!["globalStep"]) = (1, 5, 11);
        var formats = twice["journal"]!["results"]!["answerFormats"]!.AsArray();
        formats.Add(formats[^1]!.DeepClone());
        File.WriteAllText(state, twice.ToJsonString());
        AssertRefused(CoinProcess.Run(directory, "run", "--resume", run), "the checkpoint's results hold answerFormats of task 'position' after 'color' 2 times");

        // Fields out of range, each named (the first task has 6 steps).
        foreach (var (task, step, globalStep, expected) in new (int, long, long, string)[]
                 {
                     (-1, 5, 11, "position.taskIndex is -1"),
                     (1, -3, 11, "position.step is -3"),
                     (1, 1_000_000_000, 1_000_000_006, "the checkpoint is at step 1000000000 of task 'position', which has 6 steps"),
                     (1, 5, 3, "position.globalStep is 3, less than position.step (5)"),
                     (1, 5, 7, "the checkpoint's global step 7 is not the 6 steps of the earlier tasks plus its step 5"),
                 })
        {
            var edited = JsonNode.Parse(json.ToJsonString())!;
            edited["position"]!["taskIndex"] = task;
            edited["position"]!["step"] = step;
            edited["position"]!["globalStep"] = globalStep;
            File.WriteAllText(state, edited.ToJsonString());
            AssertRefused(CoinProcess.Run(directory, "run", "--resume", run), expected);
        }
        var badLength = JsonNode.Parse(json.ToJsonString())!;
        badLength["journal"]!["stepLogLength"] = -8;
        File.WriteAllText(state, badLength.ToJsonString());
        AssertRefused(CoinProcess.Run(directory, "run", "--resume", run), "journal.stepLogLength is -8");
        badLength = JsonNode.Parse(json.ToJsonString())!;
        badLength["journal"]!["taskLogLength"] = -1;
        File.WriteAllText(state, badLength.ToJsonString());
        AssertRefused(CoinProcess.Run(directory, "run", "--resume", run), "journal.taskLogLength is -1");

        // A truncated optimiser state within a task.
        json["position"]!["taskIndex"] = 1;
        json["position"]!["step"] = 5;
        json["position"]!["globalStep"] = 11;
        File.WriteAllText(state, json.ToJsonString());
        File.WriteAllBytes(Path.Combine(run, "checkpoint", "optimizer.bin"), [1, 2, 3]);
        AssertRefused(CoinProcess.Run(directory, "run", "--resume", run), "optimizer.bin: the optimiser state cannot be read");

        // Garbage in the checkpoint's state.
        File.WriteAllText(state, "{ not json");
        AssertRefused(CoinProcess.Run(directory, "run", "--resume", run), "state.json: not a readable checkpoint state");
    }

    [Test]
    public void A_garbage_base_model_cache_entry_is_named()
    {
        string directory = TestPaths.NewTemporaryDirectory("hostile");
        string experiment = CoinProcess.WriteQuickExperiment(directory, json =>
        {
            json["data"] = JsonNode.Parse("""{ "type": "mini-coin", "options": { "tasks": ["ScienceQA"], "trainPerTask": 16, "testPerTask": 8, "pretrainSamples": 32 } }""");
            json["pretraining"] = JsonNode.Parse("""{ "epochs": 1 }""");
        });
        Assert.That(CoinProcess.Run(directory, "run", experiment).ExitCode, Is.EqualTo(0));
        string info = Directory.GetFiles(Path.Combine(CoinProcess.CacheOf(directory), "base-models"), "base.json", SearchOption.AllDirectories).Single();
        File.WriteAllText(info, "garbage");
        AssertRefused(CoinProcess.Run(directory, "run", experiment), "base.json: the cached base model's description is not readable", "to train it again");
    }

    [Test]
    public void A_backbone_larger_than_the_memory_is_refused_before_it_is_allocated()
    {
        // llama-7b's 6.7 billion float32 weights need 25 GiB; this project's machines have 24 GiB in all.
        long available = Coin.Engine.Runtime.TorchRuntime.AvailableMemoryBytes();
        Assert.That(available, Is.LessThan(25L << 30), "the machine has room for llama-7b: this test needs a smaller one");
        string directory = TestPaths.NewTemporaryDirectory("hostile");
        var result = CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory), "--set", "model.backbone.options.preset=llama-7b");
        AssertRefused(result, "model.backbone: preset 'llama-7b' has", "GiB in float32, but", "GiB of memory are available");
        Assert.That(Directory.Exists(Path.Combine(directory, "runs")), Is.False);
    }

    [Test]
    public void A_full_disk_fails_the_run_with_a_message_and_keeps_the_last_complete_checkpoint()
    {
        string directory = TestPaths.NewTemporaryDirectory("hostile");
        string disk = Path.Combine(directory, "small-disk");
        Directory.CreateDirectory(disk);
        // A 1 MiB file system: the run folder fits, its checkpoints with the optimiser state do not.
        using (var mount = System.Diagnostics.Process.Start("mount", ["-t", "tmpfs", "-o", "size=1M", "tmpfs", disk]))
        {
            mount.WaitForExit();
            if (mount.ExitCode != 0) Assert.Ignore("mounting a small tmpfs needs root");
        }
        try
        {
            var result = CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory, json =>
            {
                json["data"]!["options"]!["trainPerTask"] = 320;
                json["training"]!["checkpointEverySteps"] = 5;
            }), "--output", disk);
            AssertRefused(result, "writing the run failed during", "its finished rows and last complete checkpoint are kept");
            string run = Directory.GetDirectories(disk).Single();
            string state = Path.Combine(run, "checkpoint", "state.json");
            if (File.Exists(state)) Assert.DoesNotThrow(() => JsonDocument.Parse(File.ReadAllText(state)), "the checkpoint that is there is complete");
        }
        finally
        {
            using var umount = System.Diagnostics.Process.Start("umount", [disk]);
            umount.WaitForExit();
        }
    }
}
