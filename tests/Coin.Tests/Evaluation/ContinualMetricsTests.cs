using Coin.Engine.Results;

namespace Coin.Tests.Evaluation;

/// <summary>Continual metrics on a 3-task matrix worked out by hand.</summary>
public class ContinualMetricsTests
{
    private static readonly double[][] Matrix =
    [
        [80, 10, 20],
        [60, 90, 30],
        [40, 70, 100],
    ];

    [Test]
    public void MetricsMatchTheHandComputedValues()
    {
        var metrics = ContinualMetrics.Compute(Matrix, zeroShot: [5, 15, 25]);
        Assert.That(metrics.FinalAverageAccuracy, Is.EqualTo((40 + 70 + 100) / 3.0).Within(1e-12));          // 70
        Assert.That(metrics.MeanAverageAccuracy, Is.EqualTo((80 + (60 + 90) / 2.0 + 70) / 3.0).Within(1e-12)); // 75
        Assert.That(metrics.BackwardTransfer, Is.EqualTo(((40 - 80) + (70 - 90)) / 2.0).Within(1e-12));        // -30
        Assert.That(metrics.Forgetting, Is.EqualTo(((80 - 40) + (90 - 70)) / 2.0).Within(1e-12));              // 30
        Assert.That(metrics.Plasticity, Is.EqualTo((80 + 90 + 100) / 3.0).Within(1e-12));                      // 90
        Assert.That(metrics.ForwardTransfer, Is.EqualTo(((10 - 15) + (30 - 25)) / 2.0).Within(1e-12));         // 0
    }

    [Test]
    public void ForgettingUsesTheBestEarlierStageNotTheDiagonal()
    {
        // Task 0 improves after task 1 (50 -> 70) and ends at 20: forgetting 70 - 20 = 50 (BWT counts 20 - 50).
        // Task 1: best 60, final 30: forgetting 30, BWT -30.
        var metrics = ContinualMetrics.Compute([[50, 0, 0], [70, 60, 0], [20, 30, 90]]);
        Assert.That(metrics.Forgetting, Is.EqualTo((50 + 30) / 2.0));
        Assert.That(metrics.BackwardTransfer, Is.EqualTo((-30 + -30) / 2.0));
        Assert.That(metrics.ForwardTransfer, Is.Null);
        Assert.Throws<ArgumentException>(() => ContinualMetrics.Compute([[50, 0], [70, 0], [20, 0]]), "more stages than tasks");
    }

    [Test]
    public void APartialMatrixCoversTheStagesSoFar()
    {
        var metrics = ContinualMetrics.Compute([[80, 10, 20]]);
        Assert.That(metrics.FinalAverageAccuracy, Is.EqualTo(80), "only the task trained so far counts");
        Assert.That(metrics.MeanAverageAccuracy, Is.EqualTo(80));
        Assert.That(ContinualMetrics.Compute([[80, 10, 20], [40, 60, 5]]).FinalAverageAccuracy, Is.EqualTo(50));
        Assert.That(metrics.BackwardTransfer, Is.EqualTo(0));
    }
}
