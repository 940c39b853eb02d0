using System.Diagnostics;
using Coin.Engine.Composition;
using Coin.Engine.Configuration;
using Coin.Engine.Results;
using Coin.Engine.Running;

namespace Coin.Host.Benchmarks;

/// <summary>Resident memory over many training steps through the host, logged to a steps.csv on disk as a run logs:
/// after a warm-up, half-way, at the end, and the peak. The first half absorbs one-off growth (allocator arenas, caches);
/// growth over the second half is what a per-step leak would show.</summary>
public static class MemoryBench
{
    public sealed record Result(int Steps, double WarmMiB, double MiddleMiB, double FinalMiB, double PeakMiB, double Seconds)
    {
        public double GrowthPercent => 100 * (FinalMiB - WarmMiB) / WarmMiB;
        public double SecondHalfGrowthPercent => 100 * (FinalMiB - MiddleMiB) / MiddleMiB;
    }

    public static Result Measure(ComposedExperiment run, TrainingConfig training, int steps, Action<string>? progress = null)
    {
        var task = run.Data.Tasks[0];
        var samples = run.Data.LoadTrain(task);
        var warmup = new TrainingConfig { Epochs = 1, BatchSize = training.BatchSize, LearningRate = training.LearningRate };
        // 50 warm-up steps, or as many as are measured when that is fewer (a quick check of the bench itself).
        TaskTrainer.For(run, warmup, new StepLog(), seed: 0).Train(task, samples.Take(training.BatchSize * Math.Min(50, steps)).ToList(), 1, new NullProgress());
        double warm = ResidentMiB();
        var half = new TrainingConfig
        {
            Epochs = Math.Max(1, (int)Math.Ceiling(steps / 2.0 / TaskTrainer.StepsFor(samples.Count, warmup))),
            BatchSize = training.BatchSize, LearningRate = training.LearningRate, CheckpointEverySteps = 0,
        };
        string folder = Directory.CreateTempSubdirectory("coin-memory-bench-").FullName;
        var clock = Stopwatch.StartNew();
        int done = 0;
        double middle;
        using (var log = Coin.Engine.Journal.StepLogFile.Open(folder, 0))
        {
            var trainer = TaskTrainer.For(run, half, log, seed: 0);
            done += trainer.Train(task, samples, 2, new NullProgress()).Steps;
            middle = ResidentMiB();
            progress?.Invoke($"{done:N0} steps in {clock.Elapsed.TotalSeconds:F0} s, resident {middle:F1} MiB; as many again to go");
            done += trainer.Train(task, samples, 3, new NullProgress()).Steps;
        }
        Directory.Delete(folder, recursive: true);
        using var process = Process.GetCurrentProcess();
        return new Result(done, warm, middle, ResidentMiB(), process.PeakWorkingSet64 / 1048576.0, clock.Elapsed.TotalSeconds);
    }

    private static double ResidentMiB()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64 / 1048576.0;
    }
}
