using System.Text.Json.Nodes;
using Coin.Tests.Support;

namespace Coin.Tests.EndToEnd;

/// <summary>An evaluation stage scored again in shards from the weights the run kept, then merged: the same answers
/// and the same scores as the run's own evaluation.</summary>
[Parallelizable(ParallelScope.Self)]
public class ShardedEvaluationTests
{
    [Test]
    public void Shards_merged_give_the_runs_answers_and_scores()
    {
        string directory = TestPaths.NewTemporaryDirectory("shards");
        var run = CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory, json =>
        {
            json["evaluation"]!["batchSize"] = 4; // 4 batches per task, spread over the shards
            json["evaluation"]!["zeroShot"] = true;
        }));
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        string folder = Directory.GetDirectories(Path.Combine(directory, "runs")).Single();
        Assert.That(Directory.GetFiles(Path.Combine(folder, "stages")).Select(Path.GetFileName).Order(),
            Is.EqualTo(new[] { "after-01-color.safetensors", "after-02-position.safetensors", "zero-shot.safetensors" }));

        // A trained stage in 3 shards (its 4 batches per task split unevenly), and the stage of the base weights in 2:
        // each shard is a process of its own (~1.5 s before it evaluates anything).
        foreach (var (stage, shards) in new[] { ("after-01-color", 3), ("zero-shot", 2) })
        {
            for (int shard = 0; shard < shards; shard++)
            {
                var part = CoinProcess.Run(directory, "evaluate", folder, "--stage", stage, "--shard", $"{shard}/{shards}");
                Assert.That(part.ExitCode, Is.EqualTo(0), part.ToString());
            }
            var merged = CoinProcess.Run(directory, "evaluate", folder, "--stage", stage, "--merge", $"{shards}");
            Assert.That(merged.ExitCode, Is.EqualTo(0), merged.ToString());
            Assert.That(merged.Output, Does.Contain($"the merged scores equal the run's ({shards} shards)"));
            string Answers(string file) => string.Join("\n", File.ReadLines(Path.Combine(folder, "predictions", file)).Select(l => JsonNode.Parse(l)!["prediction"]!.GetValue<string>()));
            Assert.That(Answers($"{stage}.merged.jsonl"), Is.EqualTo(Answers($"{stage}.jsonl")));
        }

        var missing = CoinProcess.Run(directory, "evaluate", folder, "--stage", "after-01-color", "--merge", "4");
        Assert.That(missing.ExitCode, Is.EqualTo(2));
        Assert.That(missing.Error, Does.Contain("after-01-color.shard-0-of-4.jsonl is missing"));
        var unknown = CoinProcess.Run(directory, "evaluate", folder, "--stage", "after-09-weather", "--shard", "0/2");
        Assert.That(unknown.ExitCode, Is.EqualTo(2));
        Assert.That(unknown.Error, Does.Contain("no weights for stage 'after-09-weather'").And.Contain("after-01-color, after-02-position, zero-shot"));
    }

    // The bank's last stage (two tasks' LoRAs, routed) and O-LoRA's first (one task's, with a later task's kept beside).
    [TestCase("lora-bank", "task-agnostic", "after-02-position")]
    [TestCase("olora", "task-aware", "after-01-color")]
    public void A_stage_of_an_adapter_that_changes_per_task_is_scored_again_from_the_state_kept_with_it(string adapter, string protocol, string stage)
    {
        string directory = TestPaths.NewTemporaryDirectory("shards");
        var run = CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory, json =>
        {
            json["model"] = JsonNode.Parse($$"""{ "adapter": { "type": "{{adapter}}" } }""");
            json["evaluation"]!["batchSize"] = 4;
            json["evaluation"]!["protocol"] = protocol;
        }));
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        string folder = Directory.GetDirectories(Path.Combine(directory, "runs")).Single();
        Assert.That(File.Exists(Path.Combine(folder, "stages", "after-02-position.adapter.json")), "the adapter's state is kept with the stage");
        if (adapter == "lora-bank")
        {
            // The routing of the last stage: the two tasks ask in different words, so each sample finds its own task's LoRA.
            var routing = File.ReadAllLines(Path.Combine(folder, "lora-bank-routing", "after-02-position.csv")).Skip(1).Select(l => l.Split(',')).ToList();
            Assert.That(routing.Sum(r => int.Parse(r[2])), Is.EqualTo(32));
            Assert.That(routing.Where(r => r[0] == r[1]).Sum(r => int.Parse(r[2])), Is.EqualTo(32), string.Join("; ", routing.Select(r => string.Join(",", r))));
        }

        for (int shard = 0; shard < 2; shard++)
        {
            var part = CoinProcess.Run(directory, "evaluate", folder, "--stage", stage, "--shard", $"{shard}/2");
            Assert.That(part.ExitCode, Is.EqualTo(0), part.ToString());
        }
        var merged = CoinProcess.Run(directory, "evaluate", folder, "--stage", stage, "--merge", "2");
        Assert.That(merged.Output, Does.Contain("the merged scores equal the run's (2 shards)"), merged.ToString());
        string Answers(string file) => string.Join("\n", File.ReadLines(Path.Combine(folder, "predictions", file)).Select(l => JsonNode.Parse(l)!["prediction"]!.GetValue<string>()));
        Assert.That(Answers($"{stage}.merged.jsonl"), Is.EqualTo(Answers($"{stage}.jsonl")));

        File.Delete(Path.Combine(folder, "stages", stage + ".adapter.json"));
        var refused = CoinProcess.Run(directory, "evaluate", folder, "--stage", stage, "--shard", "0/2");
        Assert.That(refused.ExitCode, Is.EqualTo(2));
        Assert.That(refused.Error, Does.Contain($"{stage}.adapter.json is missing").And.Contain($"model.adapter '{adapter}' changes from task to task"));
    }
}
