using System.Diagnostics;
using static TorchSharp.torch;

namespace Coin.Host.Benchmarks;

/// <summary>Summaries robust to a noisy machine: medians and quartiles rather than means.</summary>
public static class Statistics
{
    public static double Median(IReadOnlyList<double> values) => Quantile(values, 0.5);

    /// <summary>Linear interpolation between order statistics (numpy's default).</summary>
    public static double Quantile(IReadOnlyList<double> values, double q)
    {
        if (values.Count == 0) throw new ArgumentException("no values", nameof(values));
        var sorted = values.Order().ToArray();
        double position = q * (sorted.Length - 1);
        int lower = (int)Math.Floor(position);
        int upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }

    /// <summary>The best rate of <paramref name="product"/> in GFLOP/s over <paramref name="repeats"/> runs after
    /// <paramref name="warmups"/> untimed ones: the rate the hardware can reach, as a matmul peak is measured.</summary>
    public static double BestRate(Func<Tensor> product, double flops, int warmups, int repeats)
    {
        using var noGrad = no_grad();
        double best = double.MaxValue;
        for (int i = -warmups; i < repeats; i++)
        {
            // The product alone is timed; freeing its result is not.
            var clock = Stopwatch.StartNew();
            var result = product();
            double seconds = clock.Elapsed.TotalSeconds;
            result.Dispose();
            if (i >= 0) best = Math.Min(best, seconds);
        }
        return flops / best / 1e9;
    }
}
