#:project ../../src/Coin.Nn/Coin.Nn.csproj
#:package TorchSharp-cpu
// What a chain of frozen linear layers keeps for the backward pass, resident, by how their weight is stored
// (docs/scale.md, "Without checkpointing"): float32 (libtorch's own linear), bfloat16 and NF4 (converted per product by
// AutocastLinear's custom autograd function under float32 compute).
// dotnet run experiments/scale/frozen-product-memory.cs [LAYERS] [TOKENS]      (defaults 8 layers, 872 positions)
// Each row: resident memory after a forward pass with the graph kept, less before it, per layer, and after backward.
using Coin.Nn.Layers;
using Coin.Nn.Quantization;
using TorchSharp;
using static TorchSharp.torch;

int layers = args.Length > 0 ? int.Parse(args[0]) : 8;
int tokens = args.Length > 1 ? int.Parse(args[1]) : 872;
const int width = 4096;
torch.set_num_threads(1);
static double ResidentMiB() => double.Parse(File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("VmRSS:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;

Console.WriteLine($"{layers} frozen linear layers {width}→{width}, input [{tokens}×{width}] float32 requiring gradients; MALLOC_MMAP_THRESHOLD_={Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") ?? "(glibc default)"}");
Console.WriteLine($"one activation [{tokens}×{width}] float32 = {tokens * (double)width * 4 / (1 << 20):F1} MiB");
Console.WriteLine("| stored as | kept after forward, per layer (MiB) | left after backward (MiB) |");
Console.WriteLine("|---|---|---|");
foreach (string stored in new[] { "float32", "bfloat16", "nf4", "float32" })
{
    var chain = Enumerable.Range(0, layers).Select(_ => new AutocastLinear(width, width, hasBias: false)).ToList();
    foreach (var layer in chain)
    {
        layer.weight.requires_grad = false;
        if (stored == "bfloat16") layer.StoreFrozenAs(ScalarType.BFloat16);
        if (stored == "nf4") layer.Quantize(FrozenWeights.Nf4);
    }
    using var x = randn(tokens, width).requires_grad_(true);
    GC.Collect();
    double before = ResidentMiB();
    var h = x.alias();
    foreach (var layer in chain)
    {
        var next = layer.call(h);
        h.Dispose();   // the graph keeps what backward needs; the handle is not it
        h = next;
    }
    double forward = ResidentMiB();
    h.sum().backward();
    h.Dispose();
    GC.Collect();
    GC.WaitForPendingFinalizers();
    double after = ResidentMiB();
    Console.WriteLine($"| {stored} | {(forward - before) / layers:F1} | {after - before:F1} |");
    x.grad?.Dispose();
    chain.ForEach(l => l.Dispose());
}
