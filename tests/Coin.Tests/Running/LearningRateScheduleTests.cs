using Coin.Engine.Running;

namespace Coin.Tests.Running;

public class LearningRateScheduleTests
{
    [Test]
    public void WarmupRisesLinearlyThenCosineFallsToZero()
    {
        // 100 steps, 10% warmup: steps 0..9 give 0.1..1.0; step 10 starts the cosine at 1; step 55 is half way.
        Assert.That(LearningRateSchedule.Factor("cosine", 0.1, 0, 100), Is.EqualTo(0.1).Within(1e-12));
        Assert.That(LearningRateSchedule.Factor("cosine", 0.1, 9, 100), Is.EqualTo(1.0).Within(1e-12));
        Assert.That(LearningRateSchedule.Factor("cosine", 0.1, 10, 100), Is.EqualTo(1.0).Within(1e-12));
        Assert.That(LearningRateSchedule.Factor("cosine", 0.1, 55, 100), Is.EqualTo(0.5).Within(1e-12));
        Assert.That(LearningRateSchedule.Factor("cosine", 0.1, 100, 100), Is.EqualTo(0.0).Within(1e-12));
    }

    [Test]
    public void ConstantStaysAtOneAfterWarmup()
    {
        Assert.That(LearningRateSchedule.Factor("constant", 0, 0, 10), Is.EqualTo(1.0));
        Assert.That(LearningRateSchedule.Factor("constant", 0.5, 2, 10), Is.EqualTo(0.6).Within(1e-12));
        Assert.That(LearningRateSchedule.Factor("constant", 0.5, 7, 10), Is.EqualTo(1.0));
    }
}
