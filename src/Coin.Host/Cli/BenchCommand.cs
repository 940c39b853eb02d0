using System.Globalization;
using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;
using Coin.Engine.Configuration;
using Coin.Engine.Plugins;
using Coin.Engine.Runtime;
using Coin.Host.Benchmarks;
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
        var catalog = PluginCatalog.LoadForUse(directories.For(loader.Load()));
        int threads = TorchRuntime.ConfigureThreads(options.Threads);
        console.MarkupLineInterpolated($"coin bench · TorchSharp {TorchRuntime.TorchSharpVersion} · {threads} threads · suites {string.Join(", ", options.Suites)}");
        if (options.Suites.Contains("hardware")) Hardware(catalog, options);
        if (options.Suites.Contains("profile")) Profile(catalog, options);
        if (options.Suites.Contains("precision")) Precision(catalog, options);
        if (options.Suites.Contains("frozen")) FrozenBase(catalog, options);
        if (options.Suites.Contains("input")) Input(catalog, options);
        if (options.Suites.Any(s => s is "overhead" or "generation" or "memory"))
        {
            var (experiment, run) = BenchModel.Compose(catalog, trainPerTask: 256);
            using var _ = run;
            var training = experiment.Config.Training;
            if (options.Suites.Contains("overhead")) Overhead(run, training, options);
            // Memory before generation: decoding without the cache allocates far more than training, and freed
            // native memory is not handed back to the system, which would hide the training footprint.
            if (options.Suites.Contains("memory")) Memory(run, training, options.MemorySteps);
            if (options.Suites.Contains("generation")) Generation(run);
        }
        // Last: it switches to the compact allocator for the rest of the process.
        if (options.Suites.Contains("products")) Products(options);
        return 0;
    }

    private IBackbone CreateBackbone(PluginCatalog catalog, string preset)
    {
        var backbonePlugin = catalog.Resolve(PluginKind.Backbone, "llama", "bench");
        var errors = new List<string>();
        var section = new ConfigurationBuilder().AddInMemoryCollection([KeyValuePair.Create("preset", (string?)preset)]).Build();
        var backboneOptions = StrictBinder.Bind(section, backbonePlugin.Factory!.OptionsType, $"--presets {preset}", errors);
        ExperimentLoader.ThrowIfAny("bench", errors);
        manual_seed(0);
        return (IBackbone)backbonePlugin.Factory.Create(backboneOptions, new ComponentContext
        {
            Device = CPU, Seed = 0, RunDirectory = Path.GetTempPath(), ResolvePath = Path.GetFullPath,
        });
    }

    /// <summary>The logits of a model folder with its frozen base stored as int8 and NF4, against the same folder in
    /// bfloat16 (the reference: a bfloat16 checkpoint read exactly), on one fixed sequence of random token ids; with the
    /// stored weights' size and the forward pass's time.</summary>
    private void FrozenBase(PluginCatalog catalog, BenchOptions options)
    {
        string folder = options.ModelFolder ?? throw new CoinUserException("coin bench --suite frozen needs --model DIR (a Hugging Face folder)");
        var table = new Table().AddColumns("frozen base", "linear weights (GiB)", "forward s", "logits: relative L2 error", "max |error|", "top-1 agreement");
        Tensor? reference = null;
        foreach (string format in new[] { "bfloat16", "int8", "nf4" })
        {
            console.MarkupLineInterpolated($"frozen: loading {folder} as {format} ...");
            var plugin = catalog.Resolve(PluginKind.Backbone, "llama", "bench");
            var errors = new List<string>();
            var section = new ConfigurationBuilder().AddInMemoryCollection([KeyValuePair.Create("path", (string?)folder), KeyValuePair.Create("frozenWeights", (string?)format)]).Build();
            var bound = StrictBinder.Bind(section, plugin.Factory!.OptionsType, "--model", errors);
            ExperimentLoader.ThrowIfAny("bench", errors);
            IBackbone created;
            using (Coin.Engine.Runtime.Heartbeat.Resident($"frozen: loading as {format}", line => console.WriteLine(line)))
                created = (IBackbone)plugin.Factory.Create(bound, new ComponentContext { Device = CPU, Seed = 0, RunDirectory = Path.GetTempPath(), ResolvePath = Path.GetFullPath });
            using var backbone = created;
            var linears = backbone.Module.modules().OfType<Coin.Nn.Layers.AutocastLinear>().ToList();
            double gib = linears.Sum(l => l.IsQuantized ? l.QuantizedBytes : l.weight.numel() * l.weight.ElementSize) / (double)(1L << 30);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var generator = new TorchSharp.torch.Generator(0);
            var ids = randint(0, backbone.Tokenizer.VocabSize, [1, options.Tokens], generator: generator);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var logits = backbone.Forward(backbone.Embed(ids), ones_like(ids));
            double seconds = clock.Elapsed.TotalSeconds;
            if (reference is null)
            {
                reference = logits.detach().clone().DetachFromDisposeScope();
                table.AddRow(format, $"{gib:F2}", $"{seconds:F1}", "reference", "-", "-");
                continue;
            }
            double relative = ((logits - reference).norm().item<float>()) / reference.norm().item<float>();
            double maxError = (logits - reference).abs().max().item<float>();
            double agreement = logits.argmax(-1).eq(reference.argmax(-1)).to_type(ScalarType.Float32).mean().item<float>();
            table.AddRow(format, $"{gib:F2}", $"{seconds:F1}", $"{relative:E2}", $"{maxError:F4}", $"{100 * agreement:F1}%");
        }
        reference?.Dispose();
        console.Write(table);
        console.WriteLine($"{options.Tokens} random token ids, seed 0, float32 products; the bfloat16 base is the folder's bfloat16 weights read exactly.");
    }

    /// <summary>One 7B decoder layer's products per shape in float32 and bfloat16 beside the square peaks, and what a
    /// chain of frozen layers keeps per layer by stored type.</summary>
    private void Products(BenchOptions options)
    {
        console.MarkupLineInterpolated($"products: LLaMA-7B decoder layer (hidden {ProductsBench.Hidden}, intermediate {ProductsBench.Intermediate}, LoRA r = {ProductsBench.Rank}), {options.Tokens} positions ...");
        var products = ProductsBench.Measure(options.Tokens);
        double layerFlops = products.Sum(p => 2.0 * p.M * p.K * p.N * p.Count);
        var table = new Table().AddColumns("product", "shape", "per step", "float32 GFLOP/s", "bfloat16 GFLOP/s", "bfloat16 / float32", "share of the layer's FLOPs");
        foreach (var p in products)
            table.AddRow(Markup.Escape(p.Name), Markup.Escape(p.Shape), $"{p.Count}", $"{p.Float32:F0}", $"{p.BFloat16:F0}", $"{p.BFloat16 / p.Float32:F2}", $"{100 * 2.0 * p.M * p.K * p.N * p.Count / layerFlops:F1}%");
        foreach (int size in new[] { 2048, 4096 })
        {
            double f32 = HardwareBench.MatmulPeak(ScalarType.Float32, [size]).Gflops, bf16 = HardwareBench.MatmulPeak(ScalarType.BFloat16, [size]).Gflops;
            table.AddRow("square peak", Markup.Escape($"[{size}×{size}]·[{size}×{size}]"), "", $"{f32:F0}", $"{bf16:F0}", $"{bf16 / f32:F2}", "");
        }
        console.Write(table);
        double Seconds(Func<ProductsBench.Product, double> rate) => products.Sum(p => 2.0 * p.M * p.K * p.N * p.Count / (rate(p) * 1e9));
        double s32 = Seconds(p => p.Float32), s16 = Seconds(p => p.BFloat16);
        console.MarkupLineInterpolated($"a layer's products at these rates: float32 {s32:F2} s ({layerFlops / s32 / 1e9:F0} GFLOP/s), bfloat16 {s16:F2} s ({layerFlops / s16 / 1e9:F0} GFLOP/s), {layerFlops / 1e12:F2} TFLOP");
        var attention = new Table().AddColumns("causal attention", "forward s", "backward s", "forward + backward s");
        foreach (var type in new[] { ScalarType.Float32, ScalarType.BFloat16 })
        {
            var (forward, backward) = ProductsBench.AttentionSeconds(options.Tokens, type);
            attention.AddRow(Markup.Escape($"{ProductsBench.Heads} heads × {options.Tokens} × {ProductsBench.HeadDim}, {(type == ScalarType.Float32 ? "float32" : "bfloat16")}"),
                $"{forward:F3}", $"{backward:F3}", $"{forward + backward:F3}");
        }
        console.Write(attention);
        console.WriteLine($"LoRA dropout (p = 0.05, one mask per adapted linear: 6 × [{options.Tokens}×{ProductsBench.Hidden}] and [{options.Tokens}×{ProductsBench.Intermediate}], float32): {ProductsBench.DropoutSeconds(options.Tokens, 0.05):F3} s a layer's forward");
        // Under glibc, the setting a 7B run chooses (each large tensor its own mapping, so resident memory shows what is
        // live); under jemalloc the allocator counts live bytes itself.
        if (!CachingAllocator.Active) NativeAllocator.UseCompact();
        var memory = new Table().AddColumns("frozen weight stored as", "kept per layer after forward (MiB)", "one output (MiB)");
        const int chainWidth = ProductsBench.Hidden;
        foreach (var (stored, mib) in ProductsBench.ChainMemory(layers: 8, chainWidth, options.Tokens))
            memory.AddRow(stored, $"{mib:F1}", $"{(double)options.Tokens * chainWidth * 4 / 1048576:F1}");
        console.Write(memory);
        console.WriteLine($"8 frozen 4096 × 4096 layers, float32 input requiring gradients, {(CachingAllocator.Active ? "jemalloc's live bytes" : "resident memory under the compact allocator (mmap threshold 1 MiB)")}; the second of two rounds.");
    }

    /// <summary>LLaVA-1.5's image pipeline (CLIP ViT-L/14-336, pad to square, Pillow's bicubic resize, CLIP's
    /// normalisation) on a folder of photographs: images/s with 1..N threads, then a step's wait for its batch of 8
    /// with 0..N background workers, against a step that computes as long as preparing its batch alone takes.</summary>
    private void Input(PluginCatalog catalog, BenchOptions options)
    {
        string folder = options.ImagesFolder ?? throw new CoinUserException("coin bench --suite input needs --images DIR (PNG or JPEG photographs; experiments/scale/make-stream.sh writes some)");
        var files = InputBench.ImageFiles(folder);
        if (files.Count == 0) throw new CoinUserException($"{folder}: no .png, .jpg or .jpeg files");
        using var encoder = CreateClip336(catalog);
        encoder.Prepare(files).Dispose();   // warm-up: code paths jitted, files in the page cache
        var sizes = files.Select(f => { using var codec = SkiaSharp.SKCodec.Create(f.Path); return $"{codec.Info.Width}x{codec.Info.Height}"; }).ToList();
        console.MarkupLineInterpolated($"[bold]Input pipeline[/]: {files.Count} images from {folder} ({string.Join(", ", sizes.Distinct())}), CLIP-336 pad-to-square, {get_num_threads()} torch threads");
        var throughput = new Table().AddColumns("threads", "images", "seconds", "images/s", "images/s per thread");
        int rounds = Math.Max(1, 200 / files.Count);
        foreach (int threads in options.Workers.Prepend(1).Distinct().Order())
        {
            var result = InputBench.MeasureThroughput(encoder, files, threads, rounds);
            throughput.AddRow($"{threads}", $"{result.Images}", $"{result.Seconds:F2}", $"{result.ImagesPerSecond:F1}", $"{result.ImagesPerSecond / threads:F1}");
        }
        console.Write(throughput);
        const int batch = 8, steps = 24;
        double computeSeconds = batch / InputBench.MeasureThroughput(encoder, files, 1, rounds).ImagesPerSecond;
        var pipeline = new Table().AddColumns("data.workers", "steps", "wait for inputs (s / step)", "step (s)", "of the step spent waiting");
        foreach (int workers in options.Workers.Prepend(0).Distinct().Order())
        {
            var result = InputBench.MeasurePipeline(encoder, files, workers, batch, steps, computeSeconds);
            pipeline.AddRow($"{workers}", $"{result.Steps}", $"{result.WaitSeconds:F3}", $"{result.StepSeconds:F3}", $"{100 * result.WaitSeconds / result.StepSeconds:F0}%");
        }
        console.Write(pipeline);
        console.WriteLine($"Each step: {batch} images through the collator's prepared-input path (no cache), then {computeSeconds:F3} s of float32 matrix products on the training thread (as long as one thread prepares the batch).");
    }

    /// <summary>LLaVA-1.5's tower, built without storage: only its preparation runs here.</summary>
    private static IEncoder CreateClip336(PluginCatalog catalog)
    {
        var plugin = catalog.Resolve(PluginKind.Encoder, "clip-vit", "bench");
        var errors = new List<string>();
        var section = new ConfigurationBuilder().AddInMemoryCollection([KeyValuePair.Create("preset", (string?)"clip-vit-l-14-336"), KeyValuePair.Create("mode", (string?)"pad")]).Build();
        var bound = StrictBinder.Bind(section, plugin.Factory!.OptionsType, "bench", errors);
        ExperimentLoader.ThrowIfAny("bench", errors);
        var meta = device("meta");
        var previous = get_default_device();
        set_default_device(meta);
        try
        {
            return (IEncoder)plugin.Factory.Create(bound, new ComponentContext { Device = meta, Seed = 0, RunDirectory = Path.GetTempPath(), ResolvePath = Path.GetFullPath });
        }
        finally
        {
            set_default_device(previous);
        }
    }

    private void Hardware(PluginCatalog catalog, BenchOptions options)
    {
        var (peak32, size32) = HardwareBench.MatmulPeak(ScalarType.Float32, options.PeakSizes);
        var (peak16, size16) = HardwareBench.MatmulPeak(ScalarType.BFloat16, options.PeakSizes);
        console.MarkupLineInterpolated($"[bold]Against the hardware[/]: matmul peak float32 {peak32:F0} GFLOP/s ({size32}²), bfloat16 {peak16:F0} GFLOP/s ({size16}²), best of sizes {string.Join(", ", options.PeakSizes)} measured now");
        console.MarkupLineInterpolated($"targets: float32 ≥ 50% of its peak at d512; bfloat16 mixed ≥ 2x float32 ({options.Blocks} interleaved blocks of {options.Steps} steps each)");
        var table = new Table().AddColumns("preset", "parameters", "batch × tokens", "float32 ms/step", "bf16-mixed ms/step", "speed-up (median, range)",
            "GFLOP / step", "float32 of its peak", "bf16-mixed of bf16 peak");
        foreach (string preset in options.Presets)
        {
            console.MarkupLineInterpolated($"hardware: {preset} ...");
            using var backbone = CreateBackbone(catalog, preset);
            var result = HardwareBench.TimeSteps(backbone, options, options.Blocks);
            double gflop = result.Flops / 1e9;
            double gflops32 = gflop / (result.Float32Milliseconds / 1000), gflops16 = gflop / (result.MixedMilliseconds / 1000);
            table.AddRow(preset, result.Parameters.ToString("N0", CultureInfo.InvariantCulture), $"{options.BatchSize} × {options.Tokens}",
                $"{result.Float32Milliseconds:F1}", $"{result.MixedMilliseconds:F1}",
                $"{Statistics.Median(result.Ratios):F2}x ({result.Ratios.Min():F2}–{result.Ratios.Max():F2})",
                $"{gflop:F2}", $"{gflops32:F1} GFLOP/s = {100 * gflops32 / peak32:F0}%", $"{gflops16:F1} GFLOP/s = {100 * gflops16 / peak16:F0}%");
        }
        console.Write(table);
        console.WriteLine("FLOP count: 6 × parameters × tokens (matmuls, forward + backward) + 12 × layers × tokens² × hidden (attention).");
    }

    private void Profile(PluginCatalog catalog, BenchOptions options)
    {
        foreach (string preset in options.Presets.Where(p => p != "d512").DefaultIfEmpty("tiny"))
        {
            using var backbone = CreateBackbone(catalog, preset);
            var float32 = ProfileBench.Measure(backbone, options, steps: 30);
            var mixed = ProfileBench.Measure(backbone, options, steps: 30, ScalarType.BFloat16);
            double total32 = float32.Sum(p => p.Milliseconds), total16 = mixed.Sum(p => p.Milliseconds);
            console.MarkupLineInterpolated($"[bold]Profile[/] of a {preset} training step (batch {options.BatchSize} × {options.Tokens}, mean of 30 steps): float32 {total32:F1} ms, bfloat16 mixed {total16:F1} ms");
            var table = new Table().AddColumns("phase", "float32 ms", "share", "bf16-mixed ms", "share", "managed tensors / step (float32, bf16)");
            for (int i = 0; i < float32.Count; i++)
                table.AddRow(float32[i].Name, $"{float32[i].Milliseconds:F2}", $"{100 * float32[i].Milliseconds / total32:F0}%",
                    $"{mixed[i].Milliseconds:F2}", $"{100 * mixed[i].Milliseconds / total16:F0}%", $"{float32[i].TensorsPerStep:F0}, {mixed[i].TensorsPerStep:F0}");
            console.Write(table);
        }
    }

    private void Precision(PluginCatalog catalog, BenchOptions options)
    {
        string preset = options.Presets[0];
        console.MarkupLineInterpolated($"[bold]Mixed precision's loss curve[/] ({preset}, {options.PrecisionSteps:N0} steps of batch {options.BatchSize} × {options.Tokens} from one seed, a Markov language with entropy {PrecisionBench.EntropyFloor:F3} nats; target: final loss within 1% of float32's)");
        var result = PrecisionBench.Measure(() => CreateBackbone(catalog, preset), options.PrecisionSteps, options.BatchSize, options.Tokens,
            line => console.MarkupLineInterpolated($"precision: {line}"));
        var files = PrecisionBench.Write(options.OutputFolder, result);
        var table = new Table().AddColumns("", "float32", "bfloat16 mixed", "difference");
        foreach (int at in new[] { 0, result.Float32.Count / 10, result.Float32.Count / 2 }.Distinct())
            table.AddRow($"loss at step {at}", $"{result.Float32[at]:F4}", $"{result.Mixed[at]:F4}", $"{100 * (result.Mixed[at] / result.Float32[at] - 1):+0.00;-0.00;0.00}%");
        double final32 = PrecisionBench.Result.Final(result.Float32), final16 = PrecisionBench.Result.Final(result.Mixed);
        table.AddRow("final loss (mean of the last 5% of steps)", $"{final32:F4}", $"{final16:F4}", $"{100 * result.FinalRelativeDifference:+0.00;-0.00;0.00}%");
        table.AddRow("above the entropy floor", $"{final32 - PrecisionBench.EntropyFloor:F4}", $"{final16 - PrecisionBench.EntropyFloor:F4}", "");
        table.AddRow("ms / step", $"{1000 * result.Float32Seconds / result.Float32.Count:F1}", $"{1000 * result.MixedSeconds / result.Mixed.Count:F1}",
            $"{result.Float32Seconds / result.MixedSeconds:F2}x");
        console.Write(table);
        console.MarkupLineInterpolated($"written: {string.Join(", ", files)}");
    }

    private void Overhead(Coin.Engine.Composition.ComposedExperiment run, TrainingConfig training, BenchOptions options)
    {
        var result = OverheadBench.Measure(run, training, steps: 32, blocks: options.OverheadBlocks);
        console.MarkupLineInterpolated($"[bold]Framework overhead[/] (default model, batch {training.BatchSize}; target ≤ 3%; {result.Ratios.Count} interleaved blocks)");
        var table = new Table().AddColumns("path", "ms / step");
        table.AddRow("coin host: files → collate → splice → scheduler/updater → AdamW", $"{result.HostMilliseconds:F1}");
        table.AddRow("bare TorchSharp loop, same math, batches in memory", $"{result.BareMilliseconds:F1}");
        table.AddRow("overhead: median of the blocks (quartiles)", $"{100 * result.Overhead:+0.0;-0.0;0.0}% ({100 * result.LowerQuartile:+0.0;-0.0;0.0}% to {100 * result.UpperQuartile:+0.0;-0.0;0.0}%)");
        table.AddRow("  of the host step: collation (template, tokenizer, cached inputs, tensors)", $"{result.CollateMilliseconds:F1}");
        table.AddRow("  of the host step: splice (encoder + connector + gather, forward only)", $"{result.SpliceMilliseconds:F1}");
        console.Write(table);
    }

    private void Generation(Coin.Engine.Composition.ComposedExperiment run)
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

    private void Memory(Coin.Engine.Composition.ComposedExperiment run, TrainingConfig training, int steps)
    {
        console.MarkupLineInterpolated($"memory: training {steps:N0} steps (two halves) ...");
        var result = MemoryBench.Measure(run, training, steps, line => console.MarkupLineInterpolated($"memory: {line}"));
        console.MarkupLineInterpolated($"[bold]Memory[/] (default model, {result.Steps:N0} training steps in {result.Seconds:F0}s; target: growth < 1%)");
        var table = new Table().AddColumns("after warm-up (MiB)", "half-way (MiB)", "at the end (MiB)", "peak (MiB)", "growth", "growth, second half");
        table.AddRow($"{result.WarmMiB:F1}", $"{result.MiddleMiB:F1}", $"{result.FinalMiB:F1}", $"{result.PeakMiB:F1}",
            $"{result.GrowthPercent:+0.00;-0.00;0.00}%", $"{result.SecondHalfGrowthPercent:+0.00;-0.00;0.00}%");
        console.Write(table);
    }
}
