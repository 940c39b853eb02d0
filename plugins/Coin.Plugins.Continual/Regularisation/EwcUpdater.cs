using System.ComponentModel.DataAnnotations;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Nn.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Plugins.Continual.Regularisation;

internal sealed class EwcOptions
{
    /// <summary>Strength of the penalty λ/2 Σ F (θ − θ*)².</summary>
    [Range(0.0, 1e12)] public double Lambda { get; set; } = 100;

    /// <summary>Training samples of the finished task used to estimate the Fisher information (one backward pass
    /// each).</summary>
    [Range(1, 1_000_000)] public int FisherSamples { get; set; } = 64;
}

/// <summary>Elastic weight consolidation with a diagonal Fisher estimate. At each task end, F is the mean over the
/// task's training samples of each sample's squared loss gradient (the empirical Fisher, as EWC defines it: squaring a
/// batch's mean gradient instead would give about 1/batch of it, since per-sample gradients largely cancel), added
/// to the Fisher of earlier tasks; θ* becomes the current weights. Later steps add λ/2 Σ F (θ − θ*)².</summary>
/// <remarks>The Fisher pass runs at task end, outside any mixed-precision region: float32 gradients.</remarks>
[CoinPlugin(PluginKind.ContinualUpdater, "ewc", "0.2.0", "Elastic weight consolidation with a diagonal empirical Fisher (per-sample gradients)",
    Capabilities = [PluginCapabilities.ExtraMemoryPrefix + "2x", PluginCapabilities.FixedTrainableSet])]
internal sealed class EwcUpdater(EwcOptions options) : IContinualUpdater, ICheckpointable, IDisposable
{
    private ParameterSnapshot? anchor;
    private readonly List<Tensor> fishers = [];

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
        foreach (var sample in samples)
        {
            using var scope = NewDisposeScope();
            foreach (var p in parameters) p.grad = null;
            context.Model.Forward(context.Model.Collate([sample])).Loss.backward();
            using var noGrad = no_grad();
            for (int i = 0; i < snapshot.Count; i++)
                if (snapshot.Live(i).grad is { } g) fishers[i].add_(g.to_type(ScalarType.Float32).pow(2), alpha: 1.0 / samples.Count);
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
