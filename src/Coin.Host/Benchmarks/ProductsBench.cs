using System.Diagnostics;
using Coin.Nn.Layers;
using Coin.Nn.Quantization;
using static TorchSharp.torch;

namespace Coin.Host.Benchmarks;

/// <summary>The matrix products of one LLaMA-7B decoder layer's training step (hidden 4096, intermediate 11008, LoRA
/// r = 128), timed one shape at a time in float32 and in bfloat16 beside the square matmul peak of the same sitting;
/// and what a chain of frozen linear layers keeps between its forward and backward pass, by the weight's stored type
/// (docs/scale.md, "Where a bfloat16 step's time goes" and "Without checkpointing").</summary>
public static class ProductsBench
{
    public const int Hidden = 4096, Intermediate = 11008, Rank = 128;

    /// <param name="Count">How many times a layer's step computes this product (forward once; checkpointing adds a
    /// second forward, not counted).</param>
    public sealed record Product(string Name, string Shape, long M, long K, long N, int Count, double Float32, double BFloat16);

    public static IReadOnlyList<Product> Measure(int tokens)
    {
        var shapes = new (string Name, long M, long K, long N, bool Transposed, int Count)[]
        {
            ("forward: q k v o", tokens, Hidden, Hidden, true, 4),
            ("forward: gate up", tokens, Hidden, Intermediate, true, 2),
            ("forward: down", tokens, Intermediate, Hidden, true, 1),
            ("∂x: q k v o", tokens, Hidden, Hidden, false, 4),
            ("∂x: gate up", tokens, Intermediate, Hidden, false, 2),
            ("∂x: down", tokens, Hidden, Intermediate, false, 1),
            ("LoRA A forward", tokens, Hidden, Rank, true, 7),
            ("LoRA B forward", tokens, Rank, Hidden, true, 7),
            ("LoRA ∂A ∂B", Hidden, tokens, Rank, false, 14),
        };
        return shapes.Select(s =>
        {
            // Forward: x Wᵀ with W [N × K] (F.linear); backward of a frozen weight: ∂x = ∂y W with W [K × N] (matmul).
            double Rate(ScalarType type)
            {
                using var a = randn(s.M, s.K).to_type(type);
                using var b = (s.Transposed ? randn(s.N, s.K) : randn(s.K, s.N)).to_type(type);
                return Statistics.BestRate(() => s.Transposed ? nn.functional.linear(a, b) : a.matmul(b), 2.0 * s.M * s.K * s.N, warmups: 2, repeats: 5);
            }
            string shape = s.Transposed ? $"[{s.M}×{s.K}]·[{s.N}×{s.K}]ᵀ" : $"[{s.M}×{s.K}]·[{s.K}×{s.N}]";
            return new Product(s.Name, shape, s.M, s.K, s.N, s.Count, Rate(ScalarType.Float32), Rate(ScalarType.BFloat16));
        }).ToList();
    }

    public const int Heads = 32, HeadDim = 128;

    /// <summary>Seconds of one layer's causal attention (scaled dot-product, <see cref="Heads"/> × <paramref name="tokens"/>
    /// × <see cref="HeadDim"/>), forward and backward, with q, k and v in <paramref name="type"/>: the best of 3 after one
    /// untimed run. AttentionPrecision keeps attention in float32 on a CPU, from a measurement at small shapes.</summary>
    public static (double Forward, double Backward) AttentionSeconds(int tokens, ScalarType type)
    {
        double forward = double.MaxValue, backward = double.MaxValue;
        for (int i = -1; i < 3; i++)
        {
            using var scope = NewDisposeScope();
            var q = randn(1, Heads, tokens, HeadDim).to_type(type).requires_grad_(true);
            var k = randn(1, Heads, tokens, HeadDim).to_type(type).requires_grad_(true);
            var v = randn(1, Heads, tokens, HeadDim).to_type(type).requires_grad_(true);
            var upstream = randn(1, Heads, tokens, HeadDim).to_type(type);
            var clock = Stopwatch.StartNew();
            var output = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true);
            double f = clock.Elapsed.TotalSeconds;
            clock.Restart();
            output.backward([upstream]);
            double b = clock.Elapsed.TotalSeconds;
            if (i < 0) continue;
            forward = Math.Min(forward, f);
            backward = Math.Min(backward, b);
        }
        return (forward, backward);
    }

    /// <summary>Seconds of the LoRA dropout a layer's forward draws (PEFT's <c>lora_dropout</c>, one mask per adapted
    /// linear: q k v o and gate up over the hidden width, down over the intermediate one), float32 input as the
    /// residual stream is kept: the best of 3 after one untimed run.</summary>
    public static double DropoutSeconds(int tokens, double rate)
    {
        double best = double.MaxValue;
        using var hidden = randn(tokens, Hidden);
        using var intermediate = randn(tokens, Intermediate);
        for (int i = -1; i < 3; i++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            for (int m = 0; m < 6; m++) nn.functional.dropout(hidden, rate, training: true);
            nn.functional.dropout(intermediate, rate, training: true);
            if (i >= 0) best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }

    /// <summary>MiB a chain of <paramref name="layers"/> frozen [<paramref name="width"/>²] linear layers keeps per layer
    /// after its forward pass (graph kept), by stored type: float32 (libtorch's linear), bfloat16 and NF4 (converted per
    /// product by a custom autograd function). Measured twice; the second, settled figure is returned. Under jemalloc
    /// it is the allocator's own count of live bytes (it keeps freed memory resident); under glibc, resident memory
    /// with the compact setting, where each large tensor is its own mapping.</summary>
    public static IReadOnlyList<(string Stored, double MiBPerLayer)> ChainMemory(int layers, int width, int tokens)
    {
        var rows = new List<(string, double)>();
        foreach (string stored in new[] { "float32", "bfloat16", "nf4" })
        {
            var chain = Enumerable.Range(0, layers).Select(_ => new AutocastLinear(width, width, hasBias: false)).ToList();
            foreach (var layer in chain)
            {
                layer.weight.requires_grad = false;
                if (stored == "bfloat16") layer.StoreFrozenAs(ScalarType.BFloat16);
                if (stored == "nf4") layer.Quantize(FrozenWeights.Nf4);
            }
            using var x = randn(tokens, width).requires_grad_(true);
            double perLayer = 0;
            for (int round = 0; round < 2; round++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                double before = KeptMiB();
                var h = x.alias();
                foreach (var layer in chain)
                {
                    var next = layer.call(h);
                    h.Dispose();   // the graph keeps what backward needs; this handle is not it
                    h = next;
                }
                perLayer = (KeptMiB() - before) / layers;
                h.sum().backward();
                h.Dispose();
                x.grad?.Dispose();
                x.grad = null;
            }
            rows.Add((stored, perLayer));
            chain.ForEach(l => l.Dispose());
        }
        return rows;
    }

    /// <summary>The memory the process holds now: jemalloc's live bytes, or resident memory under glibc.</summary>
    private static double KeptMiB()
    {
        if (Coin.Engine.Runtime.CachingAllocator.AllocatedBytes() is { } allocated) return allocated / 1048576.0;
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64 / 1048576.0;
    }
}
