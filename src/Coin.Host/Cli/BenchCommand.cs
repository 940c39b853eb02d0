using System.Diagnostics;
using System.Globalization;
using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;
using Coin.Host.Configuration;
using Coin.Host.Plugins;
using Coin.Host.Runtime;
using Microsoft.Extensions.Configuration;
using Spectre.Console;
using static TorchSharp.torch;

namespace Coin.Host.Cli;

/// <summary><c>coin bench</c>: forward + backward + AdamW step time and tokens per second of the llama backbone per
/// preset, next to the float32 matmul throughput measured in the same run (machines are noisy; ratios hold).</summary>
public sealed class BenchCommand(CommandLine commandLine, PluginDirectories directories, ExperimentLoader loader, IAnsiConsole console) : ICommand
{
    public string Name => "bench";

    public int Execute()
    {
        var options = commandLine.Bench;
        var catalog = PluginCatalog.Load(directories.For(loader.Load()));
        var backbonePlugin = catalog.Resolve(PluginKind.Backbone, "llama", "bench");
        int threads = TorchRuntime.ConfigureThreads(options.Threads);
        double peak = MatmulGflops();
        console.MarkupLineInterpolated($"coin bench · TorchSharp {TorchRuntime.TorchSharpVersion} · {threads} threads · float32 matmul peak {peak:F0} GFLOP/s (2048², measured now)");

        var table = new Table().AddColumns("preset", "parameters", "batch × tokens", "ms / step", "tokens / s", "GFLOP / step", "GFLOP/s", "of peak");
        foreach (string preset in options.Presets)
        {
            var errors = new List<string>();
            var section = new ConfigurationBuilder().AddInMemoryCollection([KeyValuePair.Create("preset", (string?)preset)]).Build();
            var backboneOptions = StrictBinder.Bind(section, backbonePlugin.Factory!.OptionsType, $"--presets {preset}", errors);
            ExperimentLoader.ThrowIfAny("bench", errors);
            manual_seed(0);
            using var backbone = (IBackbone)backbonePlugin.Factory.Create(backboneOptions, new ComponentContext
            {
                Device = CPU, Seed = 0, RunDirectory = Path.GetTempPath(), ResolvePath = Path.GetFullPath,
            });
            var result = TimeSteps(backbone, options);
            double gflop = result.Flops / 1e9;
            double gflops = gflop / (result.MillisecondsPerStep / 1000);
            table.AddRow(preset, result.Parameters.ToString("N0", CultureInfo.InvariantCulture), $"{options.BatchSize} × {options.Tokens}",
                $"{result.MillisecondsPerStep:F1}", $"{options.BatchSize * options.Tokens / (result.MillisecondsPerStep / 1000):F0}",
                $"{gflop:F2}", $"{gflops:F1}", $"{100 * gflops / peak:F0}%");
        }
        console.Write(table);
        console.WriteLine("FLOP count: 6 × parameters × tokens (matmuls, forward + backward) + 12 × layers × tokens² × hidden (attention).");
        return 0;
    }

    private sealed record StepTiming(long Parameters, double Flops, double MillisecondsPerStep);

    private static StepTiming TimeSteps(IBackbone backbone, BenchOptions options)
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

    private static double MatmulGflops()
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
