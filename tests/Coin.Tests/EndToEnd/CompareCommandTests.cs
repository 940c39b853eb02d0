using Coin.Engine.Results;
using Coin.Host.Presentation;
using Coin.Tests.Support;

namespace Coin.Tests.EndToEnd;

[Parallelizable(ParallelScope.Self)]
public class CompareCommandTests
{
    [Test]
    public void MeanAndSampleStandardDeviation()
    {
        var (mean, std) = MethodSummary.MeanStd([2, 4, 6]);
        Assert.That(mean, Is.EqualTo(4));
        Assert.That(std, Is.EqualTo(2).Within(1e-12)); // sqrt((4 + 0 + 4) / 2)
        Assert.That(MethodSummary.MeanStd([5]).Std, Is.EqualTo(0));
    }

    [Test]
    public void RunsOfOneExperimentAggregateOverSeeds()
    {
        string directory = TestPaths.NewTemporaryDirectory("compare");
        // Copies of the quick runs of seeds 7 (the experiment's own) and 8 that other tests read too, each trained once
        // (SharedQuickRuns).
        Assert.That(SharedQuickRuns.CopyInto(directory).Result.ExitCode, Is.EqualTo(0));
        Assert.That(SharedQuickRuns.CopyInto(directory, "--seed", "8").Result.ExitCode, Is.EqualTo(0));
        var runs = Directory.GetDirectories(Path.Combine(directory, "runs"));
        Assert.That(File.ReadAllText(Path.Combine(runs[0], "report.md")), Does.Contain("## Accuracy (%) after each task").And.Contain("| ACC | MAA |"));

        string plot = Path.Combine(directory, "cmp.png");
        var result = CoinProcess.Run(directory, ["compare", .. runs, "--plot", plot]);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Output, Does.Contain("quick").And.Contain("2 (7, 8)").And.Contain(" ± "));
        Assert.That(result.Output, Does.Not.Contain("note:"), "two seeds of one experiment on one build differ in nothing else");

        // A third run under the same name whose learning rate was edited: named under the table and in the page.
        string edited = Path.Combine(directory, "edited-run");
        TestPaths.CopyDirectory(runs[1], edited);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(edited, "results.json")))!;
        json["seed"] = 9;
        json["config"]!["training"]!["learningRate"] = 0.5;
        File.WriteAllText(Path.Combine(edited, "results.json"), json.ToJsonString());
        var noted = CoinProcess.Run(directory, ["compare", .. runs, edited, "--plot", plot]);
        Assert.That(noted.ExitCode, Is.EqualTo(0), noted.ToString());
        Assert.That(noted.Output, Does.Contain("note: quick: its runs were set differently: training.learningRate").And.Contain("0.5 (seed 9)"));
        Assert.That(File.ReadAllText(Path.Combine(directory, "comparison.html")), Does.Contain("Its runs differ beyond the seed: set differently: training.learningRate"));
        Assert.That(File.ReadAllBytes(plot)[..4], Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }));
    }

    [Test]
    public void RunsEvaluatedUnderAnotherProtocolAreTheirOwnRow()
    {
        string directory = TestPaths.NewTemporaryDirectory("compare");
        string experiment = CoinProcess.WriteQuickExperiment(directory);
        // Seed 7 (the experiment's own) evaluated task-agnostic is the quick run other tests share (SharedQuickRuns).
        Assert.That(SharedQuickRuns.CopyInto(directory).Result.ExitCode, Is.EqualTo(0));
        Assert.That(CoinProcess.Run(directory, "run", experiment, "--seed", "8", "--set", "evaluation.protocol=task-aware").ExitCode, Is.EqualTo(0));
        var runs = Directory.GetDirectories(Path.Combine(directory, "runs")).Order().ToArray();
        var reports = runs.Select(r => File.ReadAllText(Path.Combine(r, "report.md"))).ToList();
        Assert.That(reports.Count(r => r.Contains("evaluated task-agnostic")), Is.EqualTo(1));
        Assert.That(reports.Count(r => r.Contains("evaluated task-aware")), Is.EqualTo(1));

        var result = CoinProcess.Run(directory, ["compare", .. runs, "--plot", Path.Combine(directory, "cmp.png")]);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        var rows = File.ReadAllLines(Path.Combine(directory, "comparison.csv")).Skip(1).Select(l => l.Split(',')[..3]).ToList();
        Assert.That(rows.Select(r => string.Join(',', r)), Is.EquivalentTo(new[] { "quick,1,7", "quick (task-aware),1,8" }),
            "one mean over both protocols would mix two evaluations");
    }

    private static RunSummary Run(int seed, string config, string contract = "2.1", string llaca = "0.2.2", int threads = 2)
    {
        using var document = System.Text.Json.JsonDocument.Parse($$"""
            { "versions": { "contract": "{{contract}}" }, "device": "cpu", "threads": {{threads}}, "components": [ { "key": "continual", "name": "llaca", "version": "{{llaca}}" } ] }
            """);
        using var settings = System.Text.Json.JsonDocument.Parse(config);
        return new RunSummary($"run-{seed}", "m", seed, new ContinualMetrics(0, 0, 0, 0, 0, null), 0)
        {
            Settings = RunDifferences.Settings(settings.RootElement), Builds = RunDifferences.Builds(document.RootElement),
        };
    }

    [Test]
    public void A_row_names_what_its_runs_differ_in_beyond_the_seed()
    {
        const string Base = """{ "seed": 1, "output": "runs", "training": { "learningRate": 0.001, "epochs": 1 }, "data": { "tasks": ["a", "b"] } }""";
        Assert.That(RunDifferences.Of([Run(1, Base), Run(2, Base.Replace("\"seed\": 1", "\"seed\": 2").Replace("runs", "elsewhere"))]), Is.Empty,
            "the seed and where a run wrote are not the experiment");
        var differences = RunDifferences.Of([
            Run(1, Base), Run(2, Base.Replace("0.001", "0.002")), Run(3, Base.Replace("0.001", "0.002").Replace("\"b\"", "\"c\""), contract: "2.0", llaca: "0.2.1"),
        ]);
        Assert.That(differences, Is.EqualTo(new[]
        {
            "built differently: continual = llaca 0.2.2 (seeds 1, 2); llaca 0.2.1 (seed 3)",
            "built differently: contract = 2.1 (seeds 1, 2); 2.0 (seed 3)",
            "set differently: data.tasks = [\"a\",\"b\"] (seeds 1, 2); [\"a\",\"c\"] (seed 3)",
            "set differently: training.learningRate = 0.001 (seed 1); 0.002 (seeds 2, 3)",
        }));
        Assert.That(RunDifferences.Of([Run(1, Base), Run(2, Base, threads: 1), Run(3, Base)]), Is.EqualTo(new[]
        {
            "ran differently: threads = 2 (seeds 1, 3); 1 (seed 2)",
        }), "the thread count changes the figures in their last digits");
        // An option only a later build records is not a setting that differs (the build line says the builds differ).
        Assert.That(RunDifferences.Of([Run(1, Base), Run(2, Base.Replace("\"epochs\": 1", "\"epochs\": 1, \"newOption\": 5"))]), Is.Empty);
    }

    [Test]
    public void AFolderWithoutResultsIsNamed()
    {
        string directory = TestPaths.NewTemporaryDirectory("compare");
        var result = CoinProcess.Run(directory, "compare", "not-a-run");
        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Output, Does.Contain("left out: not-a-run: no results.json"));
        Assert.That(result.Error, Does.Contain("none of the runs given has completed"));
    }

    [Test]
    public void An_evaluators_further_metrics_reach_results_the_report_and_compare()
    {
        string directory = TestPaths.NewTemporaryDirectory("compare");
        string experiment = CoinProcess.WriteQuickExperiment(directory, json =>
        {
            json["evaluation"]!["evaluator"] = System.Text.Json.Nodes.JsonNode.Parse("""{ "type": "captions" }""");
            json["data"]!["options"]!["tasks"] = System.Text.Json.Nodes.JsonNode.Parse("""["color"]""");
        });
        var run = CoinProcess.Run(directory, "run", experiment);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        string folder = Directory.GetDirectories(Path.Combine(directory, "runs")).Single();
        using var results = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "results.json")));
        var score = results.RootElement.GetProperty("scores").EnumerateArray().Single();
        Assert.That(score.GetProperty("metric").GetString(), Is.EqualTo("CIDEr"), "the primary metric fills the accuracy matrix");
        Assert.That(score.GetProperty("others").EnumerateObject().Select(p => p.Name), Is.EquivalentTo(new[] { "BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L" }));
        Assert.That(File.ReadAllText(Path.Combine(folder, "report.md")), Does.Contain("## BLEU-4 after each task").And.Contain("## ROUGE-L after each task"));

        var compared = CoinProcess.Run(directory, "compare", folder, "--plot", Path.Combine(directory, "cmp.png"));
        Assert.That(compared.ExitCode, Is.EqualTo(0), compared.ToString());
        Assert.That(compared.Output, Does.Contain("final BLEU-4").And.Contain("final ROUGE-L"));
        string bleu = score.GetProperty("others").GetProperty("BLEU-4").GetDouble().ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(compared.Output, Does.Contain(bleu), "the column holds the run's final BLEU-4");
        Assert.That(File.ReadAllLines(Path.Combine(directory, "comparison.csv"))[0], Does.EndWith(",BLEU-1,BLEU-1_std,BLEU-2,BLEU-2_std,BLEU-3,BLEU-3_std,BLEU-4,BLEU-4_std,ROUGE-L,ROUGE-L_std"));
    }
}
