using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Tests.Support;

namespace Coin.Tests.EndToEnd;

/// <summary>samples/Coin.Samples.TaskBitFit, built on its own against the contracts and Coin.Nn, adds a per-task adapter
/// (a bias per task, added at each task's start), training hooks and per-sample routing at evaluation to a host that
/// knows nothing of it.</summary>
[Parallelizable(ParallelScope.Self)]
public class TaskBitFitSampleTests
{
    private static string sampleOutput = "";

    [OneTimeSetUp]
    public void BuildTheSample() => sampleOutput = SampleBuild.Output("Coin.Samples.TaskBitFit");

    [Test]
    public void The_sample_ships_its_own_assembly_only()
        => Assert.That(Directory.EnumerateFiles(sampleOutput, "*.dll").Select(Path.GetFileName), Is.EqualTo(new[] { "Coin.Samples.TaskBitFit.dll" }));

    private static (JsonElement Results, List<string[]> Routing) Run(string protocol)
    {
        string directory = TestPaths.NewTemporaryDirectory("task-bitfit");
        string plugins = Path.Combine(directory, "my-plugins", "Coin.Samples.TaskBitFit");
        TestPaths.CopyDirectory(sampleOutput, plugins);
        string experiment = CoinProcess.WriteQuickExperiment(directory, json =>
        {
            json["model"] = JsonNode.Parse("""{ "adapter": { "type": "task-bitfit" } }""");
            json["evaluation"]!["protocol"] = protocol;
        });
        var result = CoinProcess.Run(directory, "run", experiment, "--plugins", plugins);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        string folder = Directory.GetDirectories(Path.Combine(directory, "runs")).Single();
        var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "results.json"))).RootElement;
        var routing = File.ReadAllLines(Path.Combine(folder, "task-bitfit-routing.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        return (results, routing);
    }

    [Test]
    public void Task_aware_evaluation_routes_every_sample_to_its_own_tasks_biases_once_that_task_is_trained()
    {
        var (results, routing) = Run("task-aware");
        Assert.That(results.GetProperty("status").GetString(), Is.EqualTo("completed"));
        var final = routing.Where(r => r[0] == "after-02-position").ToList();
        Assert.That(final, Has.Count.EqualTo(32), "both tasks' 16 test samples, routed once each");
        Assert.That(final.Select(r => r[3]), Is.EqualTo(final.Select(r => r[1])), "routed to the task the host named");
        Assert.That(final.Select(r => r[4]), Has.All.EqualTo("task-aware"));
        // After the first task only its biases exist: the second task's samples use them.
        Assert.That(routing.Where(r => r[0] == "after-01-color").Select(r => r[3]), Has.All.EqualTo("color"));
    }

    [Test]
    public void Task_agnostic_evaluation_infers_each_samples_task_from_its_instruction()
    {
        var (_, routing) = Run("task-agnostic");
        var final = routing.Where(r => r[0] == "after-02-position").ToList();
        Assert.That(final, Has.Count.EqualTo(32));
        Assert.That(final.Select(r => r[4]), Has.All.EqualTo("task-agnostic"));
        // The two tasks ask in different words, so the word-count router finds each sample's task.
        Assert.That(final.Select(r => r[3]), Is.EqualTo(final.Select(r => r[1])));
    }
}
