using System.Diagnostics;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Engine.Modeling;
using static TorchSharp.torch;

namespace Coin.Host.Benchmarks;

/// <summary>The input pipeline (<c>data.workers</c>): how many images a second an encoder's preparation turns out
/// with 1..N threads, and how long a training step waits for its batch when workers prepare ahead of it.</summary>
public static class InputBench
{
    /// <param name="ImagesPerSecond">All threads together.</param>
    public sealed record Throughput(int Threads, int Images, double Seconds, double ImagesPerSecond);

    /// <param name="WaitSeconds">Per step: the time the step spent getting its inputs (preparing them itself, or
    /// waiting for a worker).</param>
    /// <param name="StepSeconds">Per step, inputs and compute together.</param>
    public sealed record Pipeline(int Workers, int Steps, double WaitSeconds, double StepSeconds);

    /// <summary>Images prepared by <paramref name="threads"/> threads taking files from one shared list, each file
    /// <paramref name="rounds"/> times (nothing is cached).</summary>
    public static Throughput MeasureThroughput(IEncoder encoder, IReadOnlyList<ModalityInput> files, int threads, int rounds)
    {
        var work = Enumerable.Range(0, rounds).SelectMany(_ => files).ToArray();
        int next = -1;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            for (int i = Interlocked.Increment(ref next); i < work.Length; i = Interlocked.Increment(ref next))
                encoder.Prepare([work[i]]).Dispose();
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        double seconds = clock.Elapsed.TotalSeconds;
        return new Throughput(threads, work.Length, seconds, work.Length / seconds);
    }

    /// <summary>A training loop's shape without a model: each step takes <paramref name="batch"/> images through the
    /// prepared-input path the collator uses (no cache), then computes for <paramref name="computeSeconds"/> (float32
    /// matrix products on the training thread). With workers, a prefetcher prepares the coming steps meanwhile.</summary>
    public static Pipeline MeasurePipeline(IEncoder encoder, IReadOnlyList<ModalityInput> files, int workers, int batch, int steps, double computeSeconds)
    {
        IReadOnlyList<Sample> StepSamples(int step) => Enumerable.Range(0, batch)
            .Select(i => new Sample($"{step}-{i}", "bench", [files[(step * batch + i) % files.Count]], "<image>", "")).ToList();
        using var cache = new PreparedInputCache(0);
        var encoders = new Dictionary<string, IEncoder> { [encoder.Modality] = encoder };
        using var prefetcher = workers > 0 ? new InputPrefetcher(encoders, workers, stepsAhead: 2, steps, StepSamples, cache.Contains) : null;
        cache.Prefetcher = prefetcher;
        using var a = rand(512, 512);
        double wait = 0;
        var total = Stopwatch.StartNew();
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            prefetcher?.Advance(step);
            var clock = Stopwatch.StartNew();
            cache.Prepare(encoder, StepSamples(step).SelectMany(s => s.Inputs).ToList());
            wait += clock.Elapsed.TotalSeconds;
            clock.Restart();
            var x = a;
            while (clock.Elapsed.TotalSeconds < computeSeconds) x = a.matmul(x).div_(512);
        }
        return new Pipeline(workers, steps, wait / steps, total.Elapsed.TotalSeconds / steps);
    }

    /// <summary>The image files (PNG, JPEG) directly in <paramref name="folder"/>, by name.</summary>
    public static IReadOnlyList<ModalityInput> ImageFiles(string folder)
        => Directory.EnumerateFiles(folder)
            .Where(f => Path.GetExtension(f).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg")
            .Order(StringComparer.Ordinal)
            .Select(f => new ModalityInput("image", Path: f))
            .ToList();
}
