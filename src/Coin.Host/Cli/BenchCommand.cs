using System.Globalization;
using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;
using Coin.Host.Benchmarks;
using Coin.Host.Configuration;
using Coin.Host.Plugins;
using Coin.Host.Runtime;
using Microsoft.Extensions.Configuration;
using Spectre.Console;
using static TorchSharp.torch;

namespace Coin.Host.Cli;

/// <summary><c>coin bench</c>: the speed and memory figures of docs/performance.md, each measured side by side in one
/// run (machines here are noisy; ratios hold), with the target each is held against.</summary>
public sealed class BenchCommand(CommandLine commandLine, PluginDirectories directories, ExperimentLoader loader, IAnsiConsole console) : ICommand
{
    public string Name => "bench";

    public int Execute()
    {
        var options = commandLine.Bench;
        var catalog = PluginCatalog.Load(directories.For(loader.Load()));
        int threads = TorchRuntime.ConfigureThreads(options.Threads);
        console.MarkupLineInterpolated($"coin bench · TorchSharp {TorchRuntime.TorchSharpVersion} · {threads} threads · suites {string.Join(", ", options.Suites)}");
        if (options.Suites.Contains("hardware")) Hardware(catalog, options);
        if (options.Suites.Any(s => s is "overhead" or "generation" or "memory"))
        {
            var (experiment, run) = BenchModel.Compose(catalog, trainPerTask: 256);
            using var _ = run;
            var training = experiment.Config.Training;
            if (options.Suites.Contains("overhead")) Overhead(run, training);
            // Memory before generation: decoding without the cache allocates far more than training, and freed
            // native memory is not handed back to the system, which would hide the training footprint.
            if (options.Suites.Contains("memory")) Memory(run, training, options.MemorySteps);
            if (options.Suites.Contains("generation")) Generation(run);
        }
        return 0;
    }

    private void Hardware(PluginCatalog catalog, BenchOptions options)
    {
        var backbonePlugin = catalog.Resolve(PluginKind.Backbone, "llama", "bench");
        double peak = HardwareBench.MatmulGflops();
        console.MarkupLineInterpolated($"[bold]Against the hardware[/]: float32 matmul peak {peak:F0} GFLOP/s (2048², measured now); target ≥ 50% at d512");
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
            var result = HardwareBench.TimeSteps(backbone, options);
            double gflop = result.Flops / 1e9;
            double gflops = gflop / (result.MillisecondsPerStep / 1000);
            table.AddRow(preset, result.Parameters.ToString("N0", CultureInfo.InvariantCulture), $"{options.BatchSize} × {options.Tokens}",
                $"{result.MillisecondsPerStep:F1}", $"{options.BatchSize * options.Tokens / (result.MillisecondsPerStep / 1000):F0}",
                $"{gflop:F2}", $"{gflops:F1}", $"{100 * gflops / peak:F0}%");
        }
        console.Write(table);
        console.WriteLine("FLOP count: 6 × parameters × tokens (matmuls, forward + backward) + 12 × layers × tokens² × hidden (attention).");
    }

    private void Overhead(Composition.ComposedExperiment run, TrainingConfig training)
    {
        var result = OverheadBench.Measure(run, training, steps: 32);
        console.MarkupLineInterpolated($"[bold]Framework overhead[/] (default model, batch {training.BatchSize}; target ≤ 3%)");
        var table = new Table().AddColumns("path", "ms / step");
        table.AddRow("coin host: files → collate → splice → scheduler/updater → AdamW", $"{result.HostMilliseconds:F1}");
        table.AddRow("bare TorchSharp loop, same math, batches in memory", $"{result.BareMilliseconds:F1}");
        table.AddRow("overhead", $"{100 * result.Overhead:+0.0;-0.0}%");
        table.AddRow("  of the host step: collation (template, tokenizer, cached inputs, tensors)", $"{result.CollateMilliseconds:F1}");
        table.AddRow("  of the host step: splice (encoder + connector + gather, forward only)", $"{result.SpliceMilliseconds:F1}");
        console.Write(table);
    }

    private void Generation(Composition.ComposedExperiment run)
    {
        console.MarkupLineInterpolated($"[bold]Generation[/] (default model, batch 16, greedy; target: cache ≥ 5x at 128 new tokens)");
        var table = new Table().AddColumns("new tokens", "with cache (tok/s)", "without cache (tok/s)", "speed-up");
        foreach (int tokens in new[] { 32, 128 })
        {
            var result = GenerationBench.Measure(run, batch: 16, tokens);
            table.AddRow($"{tokens}", $"{result.CachedTokensPerSecond:F0}", $"{result.UncachedTokensPerSecond:F0}", $"{result.Speedup:F1}x");
        }
        console.Write(table);
    }

    private void Memory(Composition.ComposedExperiment run, TrainingConfig training, int steps)
    {
        console.MarkupLineInterpolated($"memory: training {steps:N0} steps (two halves) ...");
        var result = MemoryBench.Measure(run, training, steps, line => console.MarkupLineInterpolated($"memory: {line}"));
        console.MarkupLineInterpolated($"[bold]Memory[/] (default model, {result.Steps:N0} training steps in {result.Seconds:F0}s; target: growth < 1%)");
        var table = new Table().AddColumns("after warm-up (MiB)", "half-way (MiB)", "at the end (MiB)", "peak (MiB)", "growth", "growth, second half");
        table.AddRow($"{result.WarmMiB:F1}", $"{result.MiddleMiB:F1}", $"{result.FinalMiB:F1}", $"{result.PeakMiB:F1}",
            $"{result.GrowthPercent:+0.00;-0.00}%", $"{result.SecondHalfGrowthPercent:+0.00;-0.00}%");
        console.Write(table);
    }
}
