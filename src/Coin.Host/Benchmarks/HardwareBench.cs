using System.Diagnostics;
using Coin.Abstractions.Components;
using Coin.Host.Cli;
using static TorchSharp.torch;

namespace Coin.Host.Benchmarks;

/// <summary>The backbone's training step (forward, backward, AdamW) against the float32 matmul peak of this machine,
/// both measured in the same run.</summary>
public static class HardwareBench
{
    public sealed record StepTiming(long Parameters, double Flops, double MillisecondsPerStep);

    public static StepTiming TimeSteps(IBackbone backbone, BenchOptions options)
    {
        var module = backbone.Module;
        var parameters = module.parameters().ToList();
        using var optimizer = optim.AdamW(parameters, lr: 1e-4);
        int vocab = backbone.Tokenizer.VocabSize;
        void Step()
        {
            using var scope = NewDisposeScope();
            var ids = randint(0, vocab, [options.BatchSize, options.Tokens + 1]);
            var input = ids.narrow(1, 0, options.Tokens);
            var logits = backbone.Forward(backbone.Embed(input), ones_like(input));
            var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), ids.narrow(1, 1, options.Tokens).reshape(-1));
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
        for (int i = 0; i < 2; i++) Step();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < options.Steps; i++) Step();
        double ms = clock.Elapsed.TotalMilliseconds / options.Steps;

        long count = parameters.Sum(p => p.numel());
        long embedding = module.named_parameters().Where(p => p.name.EndsWith("embed_tokens.weight")).Sum(p => p.parameter.numel());
        long tokens = (long)options.BatchSize * options.Tokens;
        int layers = module.named_modules().Count(m => m.name.EndsWith(".self_attn"));
        long hidden = backbone.HiddenSize;
        // The embedding lookup is no matmul; attention scores and weighted sums add 2 matmuls of T² × d per layer.
        double flops = 6.0 * (count - embedding) * tokens + 12.0 * layers * options.BatchSize * (double)options.Tokens * options.Tokens * hidden;
        return new StepTiming(count, flops, ms);
    }

    public static double MatmulGflops()
    {
        using var scope = NewDisposeScope();
        var a = randn(2048, 2048);
        var b = randn(2048, 2048);
        a.matmul(b);
        var clock = Stopwatch.StartNew();
        const int repeats = 5;
        for (int i = 0; i < repeats; i++) a.matmul(b);
        return repeats * 2.0 * 2048 * 2048 * 2048 / clock.Elapsed.TotalSeconds / 1e9;
    }
}
