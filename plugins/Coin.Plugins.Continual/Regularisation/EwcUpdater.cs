using System.ComponentModel.DataAnnotations;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Plugins.Continual.Regularisation;

public sealed class EwcOptions
{
    /// <summary>Strength of the penalty λ/2 Σ F (θ − θ*)².</summary>
    [Range(0.0, 1e12)] public double Lambda { get; set; } = 100;

    /// <summary>Training samples of the finished task used to estimate the Fisher information.</summary>
    [Range(1, 1_000_000)] public int FisherSamples { get; set; } = 64;

    [Range(1, 4096)] public int FisherBatchSize { get; set; } = 8;
}

/// <summary>Elastic weight consolidation with a diagonal Fisher estimate. At each task end, F is estimated from
/// squared gradients of the loss over batches of the task's training samples (the batch-level empirical Fisher) and
/// added to the Fisher of earlier tasks; θ* becomes the current weights. Later steps add λ/2 Σ F (θ − θ*)².</summary>
public sealed class EwcUpdater(EwcOptions options) : IContinualUpdater, ICheckpointable, IDisposable
{
    private ParameterSnapshot? anchor;
    private readonly List<Tensor> fishers = [];

    public void OnTaskStart(TaskContext context) { }
    public IReadOnlyList<Sample> ExtraTrainingSamples(TaskContext context) => [];
    public void AfterStep(StepContext context) { }

    public Tensor? ExtraLoss(StepContext context, Batch batch, ModelOutput output)
    {
        if (anchor is null) return null;
        Tensor penalty = zeros(1, device: anchor.Live(0).device).squeeze();
        for (int i = 0; i < anchor.Count; i++)
            penalty = penalty + (fishers[i] * (anchor.Live(i).to_type(ScalarType.Float32) - anchor.Copy(i)).pow(2)).sum();
        return penalty * (options.Lambda / 2);
    }

    public void OnTaskEnd(TaskContext context)
    {
        var parameters = context.Model.TrainableGroups.SelectMany(g => g.Parameters).ToList();
        var snapshot = anchor ?? CreateAnchor(parameters);

        var samples = context.TrainSamples.Take(options.FisherSamples).ToList();
        var batches = samples.Chunk(options.FisherBatchSize).ToList();
        foreach (var chunk in batches)
        {
            using var scope = NewDisposeScope();
            foreach (var p in parameters) p.grad = null;
            context.Model.Forward(context.Model.Collate(chunk)).Loss.backward();
            using var noGrad = no_grad();
            for (int i = 0; i < snapshot.Count; i++)
                if (snapshot.Live(i).grad is { } g) fishers[i].add_(g.to_type(ScalarType.Float32).pow(2), alpha: 1.0 / batches.Count);
        }
        snapshot.Reset();
        foreach (var p in parameters) p.grad = null;
    }

    private ParameterSnapshot CreateAnchor(IReadOnlyList<Parameter> parameters)
    {
        anchor = new ParameterSnapshot(parameters);
        foreach (var p in parameters)
        {
            var fisher = zeros(p.shape, dtype: ScalarType.Float32, device: p.device);
            fisher.DetachFromDisposeScope();
            fishers.Add(fisher);
        }
        return anchor;
    }

    public void SaveState(ComponentState state)
    {
        if (anchor is null) return; // nothing before the first task ends
        anchor.SaveTo(state, "anchor");
        CheckpointTensors.Save(state, "fisher", fishers);
    }

    public void LoadState(ComponentState state, TaskContext context)
    {
        if (!ParameterSnapshot.IsIn(state, "anchor")) return;
        (anchor ?? CreateAnchor(context.Model.TrainableGroups.SelectMany(g => g.Parameters).ToList())).LoadFrom(state, "anchor");
        CheckpointTensors.CopyInto(state, "fisher", fishers);
    }

    /// <summary>The summed Fisher of one parameter (for inspection and tests).</summary>
    public Tensor Fisher(int index) => fishers[index];

    public void Dispose()
    {
        anchor?.Dispose();
        foreach (var fisher in fishers) fisher.Dispose();
        fishers.Clear();
    }
}

[CoinPlugin(PluginKind.ContinualUpdater, "ewc", "0.1.0", "Elastic weight consolidation with a diagonal (batch-level empirical) Fisher",
    Capabilities = [PluginCapabilities.ExtraMemoryPrefix + "2x"])]
public sealed class EwcUpdaterPlugin : PluginFactory<IContinualUpdater, EwcOptions>
{
    protected override IContinualUpdater Create(EwcOptions options, ComponentContext context) => new EwcUpdater(options);
}
