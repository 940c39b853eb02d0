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
public sealed class EwcUpdater(EwcOptions options) : IContinualUpdater, IDisposable
{
    private readonly List<(Parameter Live, Tensor Fisher, Tensor Anchor)> entries = [];

    public void OnTaskStart(TaskContext context) { }
    public IReadOnlyList<Sample> ExtraTrainingSamples(TaskContext context) => [];
    public void AfterStep(StepContext context) { }

    public Tensor? ExtraLoss(StepContext context, Batch batch, ModelOutput output)
    {
        if (entries.Count == 0) return null;
        Tensor penalty = zeros(1, device: entries[0].Live.device).squeeze();
        foreach (var (live, fisher, anchor) in entries)
            penalty = penalty + (fisher * (live.to_type(ScalarType.Float32) - anchor).pow(2)).sum();
        return penalty * (options.Lambda / 2);
    }

    public void OnTaskEnd(TaskContext context)
    {
        var parameters = context.Model.TrainableGroups.SelectMany(g => g.Parameters).ToList();
        if (entries.Count == 0)
            foreach (var p in parameters)
                entries.Add((p, Outside(zeros(p.shape, dtype: ScalarType.Float32, device: p.device)), Outside(p.detach().to_type(ScalarType.Float32).clone())));

        var samples = context.TrainSamples.Take(options.FisherSamples).ToList();
        var batches = samples.Chunk(options.FisherBatchSize).ToList();
        foreach (var chunk in batches)
        {
            using var scope = NewDisposeScope();
            foreach (var p in parameters) p.grad = null;
            context.Model.Forward(context.Model.Collate(chunk)).Loss.backward();
            using var noGrad = no_grad();
            foreach (var (live, fisher, _) in entries)
                if (live.grad is { } g) fisher.add_(g.to_type(ScalarType.Float32).pow(2), alpha: 1.0 / batches.Count);
        }
        using (no_grad())
            foreach (var (live, _, anchor) in entries) anchor.copy_(live.detach().to_type(ScalarType.Float32));
        foreach (var p in parameters) p.grad = null;
    }

    /// <summary>The summed Fisher of one parameter (for inspection and tests).</summary>
    public Tensor Fisher(int index) => entries[index].Fisher;

    private static Tensor Outside(Tensor t)
    {
        t.DetachFromDisposeScope();
        return t;
    }

    public void Dispose()
    {
        foreach (var (_, fisher, anchor) in entries)
        {
            fisher.Dispose();
            anchor.Dispose();
        }
        entries.Clear();
    }
}

[CoinPlugin(PluginKind.ContinualUpdater, "ewc", "0.1.0", "Elastic weight consolidation with a diagonal (batch-level empirical) Fisher",
    Capabilities = [PluginCapabilities.NeedsGradients, PluginCapabilities.ExtraMemoryPrefix + "2x"])]
public sealed class EwcUpdaterPlugin : PluginFactory<IContinualUpdater, EwcOptions>
{
    protected override IContinualUpdater Create(EwcOptions options, ComponentContext context) => new EwcUpdater(options);
}
