using System.Globalization;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Engine.Composition;
using Coin.Engine.Configuration;
using Coin.Engine.Plugins;
using Coin.Engine.Running;
using Coin.Engine.Runtime;
using Spectre.Console;
using static TorchSharp.torch;

namespace Coin.Host.Presentation;

/// <summary><c>coin run --plan</c>: what a run would do and cost, without a run folder, without weights in memory and
/// without training. The components are created on libtorch's meta device (shapes and types, no storage), so even a
/// 7B configuration is sized in a moment. The data source is opened: generated data that the user-level cache lacks is
/// generated into the plan's temporary folder and removed with it, so a plan writes nothing that outlives it.</summary>
public sealed class RunPlan(IAnsiConsole console, IRunObserver observer)
{
    private static readonly Device Meta = device("meta");

    /// <returns>0 when the capability check passes, 2 when it refuses.</returns>
    public int Print(Experiment experiment, PluginCatalog catalog)
    {
        var config = experiment.Config;
        var plan = ExperimentPlanner.Plan(experiment, catalog);
        console.MarkupLineInterpolated($"[bold]plan[/] of {experiment.Source} (nothing is trained or written)");
        var components = new Table().AddColumns("key", "plugin", "version", "folder");
        foreach (var c in plan.All()) components.AddRow(Markup.Escape(c.KeyPath), Markup.Escape(c.Plugin.Name), Markup.Escape(c.Plugin.Version), Markup.Escape(c.Plugin.FolderLabel()));
        console.Write(components);

        string scratch = Path.Combine(Path.GetTempPath(), $"coin-plan-{Environment.ProcessId}");
        var context = ExperimentRunner.ComponentContextFor(experiment, Meta, scratch, observer) with { AvailableMemoryBytes = TorchRuntime.AvailableMemoryBytes(), Planning = true };
        ComposedExperiment run;
        var previous = get_default_device();
        try
        {
            // Every tensor a factory creates without naming a device lands on the meta device too.
            set_default_device(Meta);
            try
            {
                run = RunComposer.Compose(experiment, plan, context);
            }
            catch (CoinUserException e)
            {
                console.MarkupLineInterpolated($"[red]refused[/]: {e.Message}");
                return 2;
            }
            using var _ = run;
            var refusals = new List<string>();
            Check(() => Preflight.BeforeBaseStage(experiment.Source, plan, run, CPU, BaseModelStage.Runs(config.Pretraining, run.BaseData), config.Training.ActivationCheckpointing), refusals);
            RunComposer.ApplyAdapter(run, config);
            Check(() => Preflight.AfterAdapter(experiment.Source, plan, run, CPU), refusals);
            Stages(experiment, plan, run);
            if (!Memory(plan, run, config)) refusals.Add("the estimated peak memory exceeds the memory available (see above)");
            foreach (string warning in CapabilityCheck.Unchecked(plan.All().Select(c => (c.KeyPath, c.Plugin.Name, c.Plugin.Checked))))
                console.MarkupLineInterpolated($"[yellow]warning:[/] {warning}");
            if (refusals.Count > 0)
            {
                foreach (string refusal in refusals.Distinct()) console.MarkupLineInterpolated($"[red]capability check: refused[/]: {refusal}");
                return 2;
            }
            console.MarkupLine("capability check: [green]ok[/]");
            return 0;
        }
        finally
        {
            set_default_device(previous);
            if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        }
    }

    private static void Check(Action check, List<string> refusals)
    {
        try
        {
            check();
        }
        catch (CoinUserException e)
        {
            refusals.Add(e.Message);
        }
    }

    private void Stages(Experiment experiment, CompositionPlan plan, ComposedExperiment run)
    {
        var config = experiment.Config;
        var stages = new Table().AddColumns("stage", "samples", "steps", "longest sequence", "evaluated on");
        if (BaseModelStage.Runs(config.Pretraining, run.BaseData) && ((IPretrainingSource)run.BaseData).LoadPretraining() is { Count: > 0 } firstStage)
        {
            var key = BaseModelStage.Key(config, plan);
            string? folder = BaseModelStage.CacheFolder(config.Pretraining, experiment.ResolvePath, key);
            bool cached = folder is not null && BaseModelStage.IsCached(folder);
            stages.AddRow(Markup.Escape(cached ? $"base model: cached in {folder}" : $"base model: to train{(folder is null ? " (no cache)" : $" into {folder}")}"),
                $"{firstStage.Count:N0}", cached ? "0" : $"{TaskTrainer.StepsFor(firstStage.Count, config.Pretraining.AsTraining()):N0}", "-", "-");
            if (config.Pretraining.Instructions.Epochs > 0 && ((IPretrainingSource)run.BaseData).LoadInstructionTuning() is { Count: > 0 } secondStage)
                stages.AddRow(Markup.Escape($"base model, instruction stage ({string.Join(", ", config.Pretraining.Instructions.Train)})"), $"{secondStage.Count:N0}",
                    cached ? "0" : $"{TaskTrainer.StepsFor(secondStage.Count, config.Pretraining.Instructions.AsTraining(config.Pretraining)):N0}", "-", "-");
        }
        if (config.Evaluation.ZeroShot) stages.AddRow("zero-shot evaluation", "-", "-", "-", "every task");
        long totalSteps = 0;
        foreach (var task in run.Data.Tasks)
        {
            var train = run.Data.LoadTrain(task);
            int samples = train.Count, test = run.Data.LoadTest(task).Count;
            int steps = TaskTrainer.StepsFor(samples, config.Training);
            int longest = train.Select(s => run.Model.Collator.SequenceLength(s, includeAnswer: true)).DefaultIfEmpty(0).Max();
            totalSteps += steps;
            stages.AddRow(Markup.Escape($"task {task.Index + 1}: {task.Name}"), $"{samples:N0}", $"{steps:N0}", $"{longest:N0}", $"every task ({test:N0} test samples here)");
        }
        console.Write(stages);
        console.MarkupLineInterpolated($"{run.Data.Tasks.Count} tasks, {totalSteps:N0} training steps (a continual method's replayed samples add to them)");
    }

    /// <summary>What the native runtime (libtorch, .NET, the host) holds before any weight: measured as the resident
    /// memory of a run of the tiny default model (docs/scale.md).</summary>
    public const long RuntimeBytes = 400L << 20;

    /// <summary>Parameters per group and the memory the run holds: weights in their stored type (quantised ones
    /// included), float32 gradients and AdamW's two moments for what trains, the copies continual methods declare,
    /// the activations of a training step for the longest batch (with and without activation checkpointing, from each
    /// component's <see cref="IActivationMemory"/>), and generation's key/value cache; then the peak against the
    /// memory available.</summary>
    /// <returns>False when the peak does not fit the available memory.</returns>
    private bool Memory(CompositionPlan plan, ComposedExperiment run, ExperimentConfig config)
    {
        var table = new Table().AddColumns("component", "parameters", "trainable", "weights (MiB)", "stored as");
        long trainableTotal = 0, weightBytes = 0;
        foreach (string component in ComponentNames.All)
        {
            var modules = run.Model.ComponentModules(component);
            var parameters = modules.SelectMany(m => m.parameters()).ToList();
            var quantized = modules.SelectMany(m => m.modules()).OfType<Coin.Nn.Layers.AutocastLinear>().Where(l => l.IsQuantized).ToList();
            long all = parameters.Sum(p => p.numel()) + quantized.Sum(l => l.in_features * l.out_features);
            long trainable = run.Model.TrainableGroups.Where(g => g.Name == component).Sum(g => g.Parameters.Sum(p => p.numel()));
            long bytes = parameters.Sum(p => p.numel() * p.ElementSize) + quantized.Sum(l => l.QuantizedBytes);
            trainableTotal += trainable;
            weightBytes += bytes;
            string stored = string.Join(", ", parameters.GroupBy(p => p.dtype).Select(g => $"{g.Key} {100.0 * g.Sum(p => p.numel()) / Math.Max(1, all):F0}%")
                .Concat(quantized.GroupBy(l => l.Storage).Select(g => $"{Coin.Nn.Quantization.FrozenWeightsNames.Name(g.Key)} {100.0 * g.Sum(l => l.in_features * l.out_features) / Math.Max(1, all):F0}%")));
            table.AddRow(component, all.ToString("N0", CultureInfo.InvariantCulture), trainable.ToString("N0", CultureInfo.InvariantCulture), $"{bytes / 1048576.0:F1}", Markup.Escape(stored));
        }
        console.Write(table);
        double copies = plan.All().Sum(c => c.Plugin.Checked.ExtraMemoryMultiple);
        double MiB(double bytes) => bytes / 1048576.0;
        double gradients = trainableTotal * 4.0, adam = trainableTotal * 8.0, methods = copies * trainableTotal * 4.0;
        double state = weightBytes + gradients + adam + methods;
        console.MarkupLineInterpolated(
            $"memory: weights {MiB(weightBytes):F1} MiB + gradients {MiB(gradients):F1} MiB + AdamW {MiB(adam):F1} MiB + method copies {MiB(methods):F1} MiB = [bold]{MiB(state):F1} MiB[/] ({config.Training.Precision} compute)");

        // The longest training batch and the longest evaluation prompt with its answer budget.
        int trainTokens = run.Data.Tasks.SelectMany(t => run.Data.LoadTrain(t)).Select(s => run.Model.Collator.SequenceLength(s, includeAnswer: true)).DefaultIfEmpty(1).Max();
        int evalTokens = run.Data.Tasks.SelectMany(t => run.Data.LoadTest(t)).Select(s => run.Model.Collator.SequenceLength(s, includeAnswer: false)).DefaultIfEmpty(1).Max()
                         + config.Evaluation.MaxNewTokens;
        int batch = config.Training.BatchSize, evalBatch = config.Evaluation.BatchSize;
        var estimating = run.Model.AllComponents().OfType<IActivationMemory>().ToList();
        var unestimated = run.Model.AllComponents().Where(c => c is not IActivationMemory).Select(c => c.GetType().Name).ToList();
        // Under the step's compute type, as the products run (a component may count what converting a weight keeps).
        double Training(bool checkpointing)
        {
            using var precision = ComputePrecision.Use(ComputePrecision.Parse(config.Training.Precision));
            return estimating.Sum(c => (double)c.TrainingActivationBytes(batch, trainTokens, checkpointing));
        }
        double generation;
        using (ComputePrecision.Use(ComputePrecision.Parse(config.Evaluation.Precision)))
            generation = estimating.Sum(c => (double)c.GenerationBytes(evalBatch, evalTokens));
        bool checkpointed = config.Training.ActivationCheckpointing;
        double with = Training(true), without = Training(false);
        console.MarkupLineInterpolated(
            $"activations of a training step (batch {batch} × {trainTokens} positions): {MiB(with):F0} MiB with activation checkpointing, {MiB(without):F0} MiB without; this run: [bold]{(checkpointed ? "with" : "without")}[/]");
        console.MarkupLineInterpolated($"generation (batch {evalBatch} × {evalTokens} positions): key/value cache and one layer's prefill {MiB(generation):F0} MiB");
        if (unestimated.Count > 0) console.MarkupLineInterpolated($"[yellow]not estimated[/] (no IActivationMemory): {string.Join(", ", unestimated.Distinct())}");
        // A frozen weight stored in another type than products run in (bfloat16 under float32 compute, int8, NF4) is
        // cast or dequantised for each product into one reusable buffer as large as the largest such weight
        // (ConversionBuffers), through temporaries of at most 512 KiB. Training and evaluation may compute in different types
        // (evaluation.precision): the larger of the two counts.
        var linears = run.Model.AllModules().SelectMany(m => m.modules()).OfType<Coin.Nn.Layers.AutocastLinear>().ToList();
        double Conversion(string precision)
        {
            var computeType = ComputePrecision.Parse(precision) ?? ScalarType.Float32;
            int computeBytes = computeType == ScalarType.Float32 ? sizeof(float) : 2;
            return Coin.Nn.Layers.ConversionBuffers.BytesFor(linears.Where(l => l.ConvertsWeightFor(computeType)).Select(l => l.in_features * l.out_features), computeBytes);
        }
        double conversion = Math.Max(Conversion(config.Training.Precision), Conversion(config.Evaluation.Precision));
        if (conversion > 0)
            console.MarkupLineInterpolated($"frozen weights converted per product: one reusable buffer as large as the largest, {MiB(conversion):F0} MiB");
        double peak = RuntimeBytes + state + conversion + Math.Max(checkpointed ? with : without, generation);
        long? available = TorchRuntime.AvailableMemoryBytes();
        string verdict = available is { } free ? (peak <= free ? $"fits the {MiB(free) / 1024:F1} GiB available" : $"[red]does not fit[/] the {MiB(free) / 1024:F1} GiB available") : "no memory figure for this device";
        console.MarkupLine($"peak estimate: runtime {MiB(RuntimeBytes):F0} MiB + the above + the larger of training and generation = [bold]{MiB(peak) / 1024:F2} GiB[/]: {verdict}");
        if (available is { } limit && peak > limit && !checkpointed && RuntimeBytes + state + with <= limit)
            console.MarkupLine("  with training.activationCheckpointing: true it would fit");
        return available is not { } room || peak <= room;
    }
}
