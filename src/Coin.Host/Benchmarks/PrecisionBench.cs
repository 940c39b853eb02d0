using System.Diagnostics;
using Coin.Abstractions.Components;
using ScottPlot;
using static TorchSharp.torch;

namespace Coin.Host.Benchmarks;

/// <summary>Does bfloat16 mixed precision learn what float32 learns? One backbone trained twice from the same seed on
/// the same batches, once per precision, on a language whose best possible loss is known: a random Markov chain over 64
/// tokens in which each token has 4 successors (probabilities 0.4, 0.3, 0.2, 0.1), so the loss of a perfect model is
/// that entropy, 1.280 nats. A task the model can solve to zero loss would make a relative comparison of final losses
/// meaningless; this one stays above a known floor.</summary>
public static class PrecisionBench
{
    private const int States = 64;
    private static readonly double[] SuccessorProbabilities = [0.4, 0.3, 0.2, 0.1];

    /// <summary>The entropy rate of the chain in nats: the lowest loss any model can reach.</summary>
    public static double EntropyFloor => -SuccessorProbabilities.Sum(p => p * Math.Log(p));

    /// <param name="Float32">Loss per step, float32.</param>
    /// <param name="Mixed">Loss per step, bfloat16 mixed precision.</param>
    public sealed record Result(IReadOnlyList<double> Float32, IReadOnlyList<double> Mixed, double Float32Seconds, double MixedSeconds)
    {
        /// <summary>The mean of the last 5% of steps (at least 10): one step's loss moves with its batch.</summary>
        public static double Final(IReadOnlyList<double> losses) => losses.TakeLast(Math.Max(10, losses.Count / 20)).Average();

        public double FinalRelativeDifference => Final(Mixed) / Final(Float32) - 1;
    }

    /// <param name="createBackbone">A fresh backbone, the same one (same seed) on every call.</param>
    public static Result Measure(Func<IBackbone> createBackbone, int steps, int batch, int tokens, Action<string> progress)
    {
        var (float32, seconds32) = Train(createBackbone, steps, batch, tokens, null, progress);
        var (mixed, seconds16) = Train(createBackbone, steps, batch, tokens, ScalarType.BFloat16, progress);
        return new Result(float32, mixed, seconds32, seconds16);
    }

    private static (List<double> Losses, double Seconds) Train(Func<IBackbone> createBackbone, int steps, int batch, int tokens, ScalarType? compute, Action<string> progress)
    {
        using var backbone = createBackbone();
        if (backbone.Tokenizer.VocabSize < States)
            throw new InvalidOperationException($"the precision bench needs a vocabulary of at least {States} tokens");
        var parameters = backbone.Module.parameters().ToList();
        using var optimizer = optim.AdamW(parameters, lr: 1e-3);
        var successors = Successors();
        // The batches depend on the step only, so both precisions see the same ones.
        var random = new Random(12345);
        var losses = new List<double>(steps);
        string label = compute is null ? "float32" : "bfloat16 mixed";
        var clock = Stopwatch.StartNew();
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var ids = tensor(Sequences(random, successors, batch, tokens + 1), [batch, tokens + 1]);
            var input = ids.narrow(1, 0, tokens);
            Tensor loss;
            using (ComputePrecision.Use(compute))
            {
                var logits = backbone.Forward(backbone.Embed(input), ones_like(input));
                loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), ids.narrow(1, 1, tokens).reshape(-1));
            }
            optimizer.zero_grad();
            loss.backward();
            nn.utils.clip_grad_norm_(parameters, 1.0);
            optimizer.step();
            losses.Add(loss.item<float>());
            if ((step + 1) % Math.Max(1, steps / 10) == 0)
            {
                double rate = (step + 1) / clock.Elapsed.TotalSeconds;
                progress($"{label}: {step + 1}/{steps} steps, {rate:F1} steps/s, {(steps - step - 1) / rate:F0}s left, loss {losses[^1]:F3}");
            }
        }
        return (losses, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Each state's four successors, drawn once from a fixed seed.</summary>
    private static int[][] Successors()
    {
        var random = new Random(2026);
        return Enumerable.Range(0, States).Select(_ => Enumerable.Range(0, States).OrderBy(_ => random.Next()).Take(SuccessorProbabilities.Length).ToArray()).ToArray();
    }

    private static long[] Sequences(Random random, int[][] successors, int rows, int length)
    {
        var ids = new long[rows * length];
        for (int r = 0; r < rows; r++)
        {
            int state = random.Next(States);
            for (int t = 0; t < length; t++)
            {
                ids[r * length + t] = state;
                double u = random.NextDouble(), cumulative = 0;
                int next = successors[state][^1];
                for (int k = 0; k < SuccessorProbabilities.Length; k++)
                    if (u < (cumulative += SuccessorProbabilities[k])) { next = successors[state][k]; break; }
                state = next;
            }
        }
        return ids;
    }

    /// <summary>Both curves in one plot with the entropy floor, and the per-step values as CSV.</summary>
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
        var floor = plot.Add.HorizontalLine(EntropyFloor);
        floor.LegendText = "entropy of the data (best possible)";
        floor.LinePattern = LinePattern.Dashed;
        plot.XLabel("step");
        plot.YLabel("training loss (nats)");
        plot.ShowLegend(Edge.Right);
        plot.Title("The same seed and batches in float32 and in bfloat16 mixed precision");
        string png = Path.Combine(folder, "precision-loss.png");
        plot.SavePng(png, 900, 500);
        return [csv, png];
    }
}
