#:package TorchSharp-cpu
// The matrix products of one LLaVA-1.5-7B decoder layer's training step, timed one shape at a time in float32 and in
// bfloat16, beside the square matmul peak of the same sitting (docs/scale.md, "Where a bfloat16 step's time goes").
// dotnet run experiments/scale/layer-products.cs [TOKENS] [THREADS]     (defaults 806 positions, 2 threads)
// Forward: x Wᵀ (F.linear); backward of a frozen weight: ∂x = ∂y W (matmul, no transpose); LoRA r = 128: its two
// thin products forward, and its three backward (∂x, ∂A, ∂B).
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

int tokens = args.Length > 0 ? int.Parse(args[0]) : 806;
int threads = args.Length > 1 ? int.Parse(args[1]) : 2;
torch.set_num_threads(threads);
const int hidden = 4096, intermediate = 11008, rank = 128;

// Best of 5 after 2 warm-ups: the rate a shape can reach here, as the peak is measured.
double Rate(Func<Tensor> product, double flops)
{
    double best = double.MaxValue;
    for (int i = -2; i < 5; i++)
    {
        var clock = Stopwatch.StartNew();
        using (var _ = product()) { }
        if (i >= 0) best = Math.Min(best, clock.Elapsed.TotalSeconds);
    }
    return flops / best / 1e9;
}

Console.WriteLine($"{tokens} positions, {threads} threads, libtorch {torch.__version__}");
Console.WriteLine("| product | shape | float32 GFLOP/s | bfloat16 GFLOP/s | bfloat16 / float32 | share of a layer's model FLOPs |");
Console.WriteLine("|---|---|---|---|---|---|");
var rows = new List<(string Name, string Shape, long M, long K, long N, int Count, Func<ScalarType, (Tensor A, Tensor B, Func<Tensor, Tensor, Tensor> Op)> Make)>
{
    ("forward, q k v o", $"[{tokens}×{hidden}]·[{hidden}×{hidden}]ᵀ", tokens, hidden, hidden, 4,
        t => (randn(tokens, hidden).to_type(t), randn(hidden, hidden).to_type(t), (a, b) => nn.functional.linear(a, b))),
    ("forward, gate up", $"[{tokens}×{hidden}]·[{intermediate}×{hidden}]ᵀ", tokens, hidden, intermediate, 2,
        t => (randn(tokens, hidden).to_type(t), randn(intermediate, hidden).to_type(t), (a, b) => nn.functional.linear(a, b))),
    ("forward, down", $"[{tokens}×{intermediate}]·[{hidden}×{intermediate}]ᵀ", tokens, intermediate, hidden, 1,
        t => (randn(tokens, intermediate).to_type(t), randn(hidden, intermediate).to_type(t), (a, b) => nn.functional.linear(a, b))),
    ("∂x, q k v o", $"[{tokens}×{hidden}]·[{hidden}×{hidden}]", tokens, hidden, hidden, 4,
        t => (randn(tokens, hidden).to_type(t), randn(hidden, hidden).to_type(t), (a, b) => a.matmul(b))),
    ("∂x, gate up", $"[{tokens}×{intermediate}]·[{intermediate}×{hidden}]", tokens, intermediate, hidden, 2,
        t => (randn(tokens, intermediate).to_type(t), randn(intermediate, hidden).to_type(t), (a, b) => a.matmul(b))),
    ("∂x, down", $"[{tokens}×{hidden}]·[{hidden}×{intermediate}]", tokens, hidden, intermediate, 1,
        t => (randn(tokens, hidden).to_type(t), randn(hidden, intermediate).to_type(t), (a, b) => a.matmul(b))),
    ("LoRA A forward (×7)", $"[{tokens}×{hidden}]·[{rank}×{hidden}]ᵀ", tokens, hidden, rank, 7,
        t => (randn(tokens, hidden).to_type(t), randn(rank, hidden).to_type(t), (a, b) => nn.functional.linear(a, b))),
    ("LoRA B forward (×7)", $"[{tokens}×{rank}]·[{hidden}×{rank}]ᵀ", tokens, rank, hidden, 7,
        t => (randn(tokens, rank).to_type(t), randn(hidden, rank).to_type(t), (a, b) => nn.functional.linear(a, b))),
    ("LoRA ∂B, ∂A (×14)", $"[{hidden}×{tokens}]·[{tokens}×{rank}]", hidden, tokens, rank, 14,
        t => (randn(hidden, tokens).to_type(t), randn(tokens, rank).to_type(t), (a, b) => a.matmul(b))),
};
double layerFlops = rows.Sum(r => 2.0 * r.M * r.K * r.N * r.Count);
double seconds32 = 0, seconds16 = 0;
foreach (var row in rows)
{
    double flops = 2.0 * row.M * row.K * row.N;
    var rates = new Dictionary<ScalarType, double>();
    foreach (var type in new[] { ScalarType.Float32, ScalarType.BFloat16 })
    {
        var (a, b, op) = row.Make(type);
        using (a) using (b) using (no_grad()) rates[type] = Rate(() => op(a, b), flops);
    }
    seconds32 += row.Count * flops / (rates[ScalarType.Float32] * 1e9);
    seconds16 += row.Count * flops / (rates[ScalarType.BFloat16] * 1e9);
    Console.WriteLine($"| {row.Name} | {row.Shape} | {rates[ScalarType.Float32]:F0} | {rates[ScalarType.BFloat16]:F0} | {rates[ScalarType.BFloat16] / rates[ScalarType.Float32]:F2} | {100 * row.Count * flops / layerFlops:F1}% |");
}
foreach (int size in new[] { 2048, 4096 })
{
    var peaks = new[] { ScalarType.Float32, ScalarType.BFloat16 }.Select(t =>
    {
        using var a = randn(size, size).to_type(t);
        using var b = randn(size, size).to_type(t);
        using var _ = no_grad();
        return Rate(() => a.matmul(b), 2.0 * size * size * size);
    }).ToArray();
    Console.WriteLine($"| square peak | [{size}×{size}]·[{size}×{size}] | {peaks[0]:F0} | {peaks[1]:F0} | {peaks[1] / peaks[0]:F2} | |");
}
Console.WriteLine($"\nA layer's products at these rates: float32 {seconds32:F2} s, bfloat16 {seconds16:F2} s " +
                  $"({layerFlops / seconds32 / 1e9:F0} and {layerFlops / seconds16 / 1e9:F0} GFLOP/s over the layer's {layerFlops / 1e12:F2} TFLOP).");
