using System.Diagnostics;
using Coin.Abstractions.Components;
using TorchSharp;
using static TorchSharp.torch;

namespace Coin.Host.Benchmarks;

/// <summary>Where one training step of a backbone spends its time: the phases timed one by one (the CPU backend runs
/// synchronously, so a phase's wall time is its own), and the managed tensors each phase creates — each is one
/// libtorch call, the unit of per-operation overhead that bounds small models.</summary>
public static class ProfileBench
{
    public sealed record Phase(string Name, double Milliseconds, double TensorsPerStep);

    public static IReadOnlyList<Phase> Measure(IBackbone backbone, BenchOptions options, int steps, ScalarType? compute = null)
    {
        var parameters = backbone.Module.parameters().ToList();
        using var optimizer = optim.AdamW(parameters, lr: 1e-4);
        int vocab = backbone.Tokenizer.VocabSize;
        string[] names = ["inputs", "embedding", "decoder + head", "loss", "zero_grad", "backward", "AdamW step"];
        var milliseconds = new double[names.Length];
        var tensors = new double[names.Length];
        for (int step = -2; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            int phase = 0;
            var clock = Stopwatch.StartNew();
            long created = DisposeScopeManager.Statistics.CreatedInScopeCount;
            void Done()
            {
                if (step >= 0)
                {
                    milliseconds[phase] += clock.Elapsed.TotalMilliseconds;
                    tensors[phase] += DisposeScopeManager.Statistics.CreatedInScopeCount - created;
                }
                phase++;
                created = DisposeScopeManager.Statistics.CreatedInScopeCount;
                clock.Restart();
            }
            var ids = randint(0, vocab, [options.BatchSize, options.Tokens + 1]);
            var input = ids.narrow(1, 0, options.Tokens);
            var targets = ids.narrow(1, 1, options.Tokens).reshape(-1);
            var mask = ones_like(input);
            Done();
            Tensor loss;
            using (ComputePrecision.Use(compute))
            {
                var embeddings = backbone.Embed(input);
                Done();
                var logits = backbone.Forward(embeddings, mask);
                Done();
                loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), targets);
                Done();
            }
            optimizer.zero_grad();
            Done();
            loss.backward();
            Done();
            optimizer.step();
            Done();
        }
        return names.Select((n, i) => new Phase(n, milliseconds[i] / steps, tensors[i] / steps)).ToList();
    }
}
