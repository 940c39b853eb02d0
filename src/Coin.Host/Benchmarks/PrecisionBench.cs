using Coin.Host.Plugins;
using Coin.Host.Running;
using ScottPlot;
using static TorchSharp.torch;

namespace Coin.Host.Benchmarks;

/// <summary>The loss curve of the default multimodal model trained through the host for N steps in float32 and in
/// bfloat16 mixed precision, from the same seed and the same batches: does mixed precision learn the same?</summary>
public static class PrecisionBench
{
    /// <param name="Float32">Loss per step, float32.</param>
    /// <param name="Mixed">Loss per step, bfloat16 mixed precision.</param>
    public sealed record Result(IReadOnlyList<double> Float32, IReadOnlyList<double> Mixed, double Float32Seconds, double MixedSeconds)
    {
        /// <summary>The mean of the last 5% of steps (at least 10): one step's loss moves with its batch.</summary>
        public static double Final(IReadOnlyList<double> losses) => losses.TakeLast(Math.Max(10, losses.Count / 20)).Average();

        public double FinalRelativeDifference => Final(Mixed) / Final(Float32) - 1;
    }

    public static Result Measure(PluginCatalog catalog, int steps, Action<string> progress)
    {
        (List<double> Losses, double Seconds) Train(string precision)
        {
            var (experiment, run) = BenchModel.Compose(catalog, trainPerTask: 256, precision);
            using var _ = run;
            var task = run.Data.Tasks[0];
            var samples = run.Data.LoadTrain(task);
            var training = experiment.Config.Training;
            int perEpoch = (int)Math.Ceiling(samples.Count / (double)training.BatchSize);
            var config = new Configuration.TrainingConfig
            {
                Epochs = (int)Math.Ceiling(steps / (double)perEpoch), BatchSize = training.BatchSize, LearningRate = training.LearningRate,
                MaxGradNorm = training.MaxGradNorm, Precision = precision,
            };
            var log = new StepLog();
            var summary = new TaskTrainer(run.Model, run.Balance, run.Continual, config, log, seed: 0)
                .Train(task, samples, shuffleSeed: 1, new ConsoleRate(progress, precision, perEpoch * config.Epochs));
            return (log.Series("loss").Select(s => s.Value).Take(steps).ToList(), summary.Seconds);
        }
        var float32 = Train("float32");
        var mixed = Train("bfloat16");
        return new Result(float32.Losses, mixed.Losses, float32.Seconds, mixed.Seconds);
    }

    /// <summary>Both curves in one plot, and the per-step values as CSV.</summary>
    public static IReadOnlyList<string> Write(string folder, Result result)
    {
        Directory.CreateDirectory(folder);
        string csv = Path.Combine(folder, "precision-loss.csv");
        File.WriteAllLines(csv, new[] { "step,float32,bfloat16" }.Concat(result.Float32.Zip(result.Mixed).Select((pair, i) =>
            FormattableString.Invariant($"{i},{pair.First:R},{pair.Second:R}"))));
        var plot = new Plot();
        double[] x = Enumerable.Range(0, result.Float32.Count).Select(i => (double)i).ToArray();
        foreach (var (losses, label) in new[] { (result.Float32, "float32"), (result.Mixed, "bfloat16 mixed") })
        {
            var line = plot.Add.Scatter(x, losses.ToArray());
            line.MarkerSize = 0;
            line.LegendText = label;
        }
        plot.XLabel("step");
        plot.YLabel("training loss");
        plot.ShowLegend(Edge.Right);
        plot.Title("The same seed and batches in float32 and in bfloat16 mixed precision");
        string png = Path.Combine(folder, "precision-loss.png");
        plot.SavePng(png, 900, 500);
        return [csv, png];
    }

    /// <summary>A line every 10% of the steps with the rate and the time left: the suite runs for minutes.</summary>
    private sealed class ConsoleRate(Action<string> write, string label, int total) : IProgressSink
    {
        private readonly System.Diagnostics.Stopwatch clock = System.Diagnostics.Stopwatch.StartNew();
        private int done, nextReport = Math.Max(1, total / 10);

        public void Advance(int count, string detail)
        {
            done += count;
            if (done < nextReport) return;
            nextReport += Math.Max(1, total / 10);
            double rate = done / clock.Elapsed.TotalSeconds;
            write($"{label}: {done}/{total} steps, {rate:F1} steps/s, {(total - done) / rate:F0}s left, {detail}");
        }
    }
}
