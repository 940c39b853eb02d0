using Coin.Host.Results;
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
        string experiment = CoinProcess.WriteQuickExperiment(directory);
        Assert.That(CoinProcess.Run(directory, "run", experiment, "--seed", "7").ExitCode, Is.EqualTo(0));
        Assert.That(CoinProcess.Run(directory, "run", experiment, "--seed", "8").ExitCode, Is.EqualTo(0));
        var runs = Directory.GetDirectories(Path.Combine(directory, "runs"));
        Assert.That(File.ReadAllText(Path.Combine(runs[0], "report.md")), Does.Contain("## Accuracy (%) after each task").And.Contain("| ACC | MAA |"));

        string plot = Path.Combine(directory, "cmp.png");
        var result = CoinProcess.Run(directory, ["compare", .. runs, "--plot", plot]);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Output, Does.Contain("quick").And.Contain("2 (7, 8)").And.Contain(" ± "));
        Assert.That(File.ReadAllBytes(plot)[..4], Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }));
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
}
