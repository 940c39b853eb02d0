using System.Diagnostics;
using Coin.Engine.Results;
using Coin.Engine.Running;
using Coin.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Coin.Tests.Running;

/// <summary>Every training step runs in its own dispose scope: over hundreds of steps no tensor outlives its step
/// and resident memory stays flat.</summary>
public class TrainingMemoryTests
{
    [Test]
    public void ResidentMemoryAndLiveTensorsStayFlatOverManySteps()
    {
        // Two equal blocks after a warm-up: the first absorbs one-off growth (allocator arenas, caches: +50-70 MiB here
        // whatever the step count), the second must then stay flat. Without the per-step scope the same loop grew by
        // +202 MiB and 410k live tensors over 1,200 steps, ~34 MiB per 200-step block. The long soak is `coin bench --suite memory`.
        const int warmupSteps = 40, blockSteps = 200, batchSize = 8;
        var (experiment, run) = InProcessExperiment.Compose(new Dictionary<string, string?>
        {
            ["training:epochs"] = "1",
            ["training:batchSize"] = batchSize.ToString(),
            ["data:options:tasks:0"] = "color",
            ["data:options:trainPerTask"] = (batchSize * blockSteps).ToString(),
        });
        using var disposeRun = run;
        var trainer = TaskTrainer.For(run, experiment.Config.Training, new StepLog(), seed: 1);
        var task = run.Data.Tasks[0];
        var samples = run.Data.LoadTrain(task);

        trainer.Train(task, samples.Take(warmupSteps * batchSize).ToList(), 1, new NoProgress());
        long liveBefore = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        long residentBefore = Resident();
        trainer.Train(task, samples, 2, new NoProgress());
        long residentMiddle = Resident();
        var summary = trainer.Train(task, samples, 3, new NoProgress());
        long liveAfter = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        long residentAfter = Resident();

        double MiB(long bytes) => bytes / 1048576.0;
        double growthMiB = MiB(residentAfter - residentMiddle);
        TestContext.Out.WriteLine($"2 x {summary.Steps} steps: resident {MiB(residentBefore):F1} -> {MiB(residentMiddle):F1} -> {MiB(residentAfter):F1} MiB " +
                                  $"(second block {growthMiB:+0.0;-0.0} MiB), live tensors {liveBefore} -> {liveAfter}");
        Assert.That(summary.Steps, Is.EqualTo(blockSteps));
        Assert.That(liveAfter, Is.EqualTo(liveBefore), "tensors created during the steps are all disposed");
        Assert.That(growthMiB, Is.LessThan(20), "resident memory stays flat once warm");
    }

    private static long Resident()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}
