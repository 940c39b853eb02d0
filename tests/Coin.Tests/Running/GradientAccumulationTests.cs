using Coin.Engine.Results;
using Coin.Engine.Running;
using Coin.Tests.Support;
using static TorchSharp.torch;

namespace Coin.Tests.Running;

/// <summary>Two micro-batches of 4 accumulated into one step give the gradient of one batch of 8.</summary>
public class GradientAccumulationTests
{
    private static Tensor TrainOneStep(int batchSize, int accumulation)
    {
        var (experiment, run) = InProcessExperiment.Compose(new Dictionary<string, string?>
        {
            ["training:epochs"] = "1",
            ["training:batchSize"] = batchSize.ToString(),
            ["training:gradientAccumulation"] = accumulation.ToString(),
            ["training:maxGradNorm"] = "0",
            ["data:options:tasks:0"] = "color",
            ["data:options:trainPerTask"] = "8",
        });
        using var _ = run;
        var task = run.Data.Tasks[0];
        var summary = TaskTrainer.For(run, experiment.Config.Training, new StepLog(), seed: 1).Train(task, run.Data.LoadTrain(task), 5, new NoProgress());
        Assert.That(summary.Steps, Is.EqualTo(1));
        // Compare gradients, not weights: Adam's first step is lr * sign(g), which flips for tiny g.
        return cat(run.Model.TrainableGroups.SelectMany(g => g.Parameters).Select(p => p.grad!.flatten()).ToArray()).clone().MoveToOuterDisposeScope();
    }

    [Test]
    public void AccumulatedMicroBatchesEqualOneLargeBatch()
    {
        using var scope = NewDisposeScope();
        var whole = TrainOneStep(batchSize: 8, accumulation: 1);
        var accumulated = TrainOneStep(batchSize: 4, accumulation: 2);
        var untouched = TrainOneStep(batchSize: 8, accumulation: 1) - whole;
        Assert.That(untouched.abs().max().item<float>(), Is.EqualTo(0f), "training is deterministic");
        Assert.That((whole - accumulated).abs().max().item<float>(), Is.LessThan(1e-6f * whole.abs().max().item<float>()));
    }
}
