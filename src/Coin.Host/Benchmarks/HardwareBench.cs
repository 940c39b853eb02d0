using System.Diagnostics;
using Coin.Abstractions.Components;
using static TorchSharp.torch;

namespace Coin.Host.Benchmarks;

/// <summary>The backbone's training step (forward, backward, AdamW) in float32 and in bfloat16 mixed precision,
/// against the matmul peak of each type on this machine, all measured in the same run.</summary>
public static class HardwareBench
{
    /// <param name="Float32Milliseconds">Median over the interleaved blocks.</param>
    /// <param name="MixedMilliseconds">Median over the interleaved blocks, bfloat16 mixed precision.</param>
    /// <param name="Ratios">Per block pair: float32 time / mixed time (the speed-up).</param>
    public sealed record StepTiming(long Parameters, double Flops, double Float32Milliseconds, double MixedMilliseconds, IReadOnlyList<double> Ratios);

    /// <summary>Blocks of <see cref="BenchOptions.Steps"/> steps, alternating float32 and bfloat16, so that the
    /// machine's drift hits both alike; each block pair gives one ratio.</summary>
    public static StepTiming TimeSteps(IBackbone backbone, BenchOptions options, int blocks)
    {
        var module = backbone.Module;
        var parameters = module.parameters().ToList();
        using var optimizer = optim.AdamW(parameters, lr: 1e-4);
        int vocab = backbone.Tokenizer.VocabSize;
        void Step(ScalarType? compute)
        {
            using var scope = NewDisposeScope();
            var ids = randint(0, vocab, [options.BatchSize, options.Tokens + 1]);
            var input = ids.narrow(1, 0, options.Tokens);
            Tensor loss;
            using (ComputePrecision.Use(compute))
            {
                var logits = backbone.Forward(backbone.Embed(input), ones_like(input));
                loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), ids.narrow(1, 1, options.Tokens).reshape(-1));
            }
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
        double Block(ScalarType? compute)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < options.Steps; i++) Step(compute);
            return clock.Elapsed.TotalMilliseconds / options.Steps;
        }
        for (int i = 0; i < 2; i++)
        {
            Step(null);
            Step(ScalarType.BFloat16);
        }
        var float32 = new List<double>();
        var mixed = new List<double>();
        for (int b = 0; b < blocks; b++)
        {
            float32.Add(Block(null));
            mixed.Add(Block(ScalarType.BFloat16));
        }

        long count = parameters.Sum(p => p.numel());
        long embedding = module.named_parameters().Where(p => p.name.EndsWith("embed_tokens.weight")).Sum(p => p.parameter.numel());
        long tokens = (long)options.BatchSize * options.Tokens;
        int layers = module.named_modules().Count(m => m.name.EndsWith(".self_attn"));
        long hidden = backbone.HiddenSize;
        // The embedding lookup is no matmul; attention scores and weighted sums add 2 matmuls of T² × d per layer.
        double flops = 6.0 * (count - embedding) * tokens + 12.0 * layers * options.BatchSize * (double)options.Tokens * options.Tokens * hidden;
        return new StepTiming(count, flops, Statistics.Median(float32), Statistics.Median(mixed), float32.Zip(mixed, (f, m) => f / m).ToList());
    }

    /// <summary>The best matmul rate of <paramref name="type"/> over square <paramref name="sizes"/> (1024–4096 by
    /// default), three repeats each: one size alone can miss the peak (too small to amortise, or past a cache size).</summary>
    public static (double Gflops, int Size) MatmulPeak(ScalarType type, IReadOnlyList<int> sizes)
    {
        (double Gflops, int Size) best = (0, 0);
        foreach (int n in sizes)
        {
            using var a = randn(n, n).to_type(type);
            using var b = randn(n, n).to_type(type);
            double gflops = Statistics.BestRate(() => a.matmul(b), 2.0 * n * n * n, warmups: 1, repeats: 3);
            if (gflops > best.Gflops) best = (gflops, n);
        }
        return best;
    }
}
