using System.Diagnostics;
using Coin.Host.Composition;
using Coin.Host.Configuration;
using Coin.Host.Running;

namespace Coin.Host.Benchmarks;

/// <summary>Resident memory over many training steps through the host: after a warm-up, at the end, and the peak.</summary>
public static class MemoryBench
{
    public sealed record Result(int Steps, double WarmMiB, double FinalMiB, double PeakMiB, double Seconds)
    {
        public double GrowthPercent => 100 * (FinalMiB - WarmMiB) / WarmMiB;
    }

    public static Result Measure(ComposedExperiment run, TrainingConfig training, int steps)
    {
        var task = run.Data.Tasks[0];
        var samples = run.Data.LoadTrain(task);
        var warmup = new TrainingConfig { Epochs = 1, BatchSize = training.BatchSize, LearningRate = training.LearningRate };
        TaskTrainer.For(run, warmup, new StepLog(), seed: 0).Train(task, samples.Take(training.BatchSize * 50).ToList(), 1, new NullProgress());
        double warm = ResidentMiB();
        var config = new TrainingConfig
        {
            Epochs = (int)Math.Ceiling(steps / (double)TaskTrainer.StepsFor(samples.Count, warmup)),
            BatchSize = training.BatchSize, LearningRate = training.LearningRate, CheckpointEverySteps = 0,
        };
        // Logged as a run logs: appended to a steps.csv on disk, not held in memory.
        string folder = Directory.CreateTempSubdirectory("coin-memory-bench-").FullName;
        var clock = Stopwatch.StartNew();
        TaskTrainer.Summary summary;
        using (var log = Journal.StepLogFile.Open(folder, 0))
            summary = TaskTrainer.For(run, config, log, seed: 0).Train(task, samples, 2, new NullProgress());
        Directory.Delete(folder, recursive: true);
        using var process = Process.GetCurrentProcess();
        return new Result(summary.Steps, warm, ResidentMiB(), process.PeakWorkingSet64 / 1048576.0, clock.Elapsed.TotalSeconds);
    }

    private static double ResidentMiB()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64 / 1048576.0;
    }
}
