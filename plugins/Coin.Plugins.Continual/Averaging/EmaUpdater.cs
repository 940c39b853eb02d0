using System.ComponentModel.DataAnnotations;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Nn.Training;
using static TorchSharp.torch;

namespace Coin.Plugins.Continual.Averaging;

internal sealed class EmaOptions
{
    /// <summary>Weight of the live parameters in each update: average ← (1 − α) average + α θ.</summary>
    [Range(1e-6, 1.0)] public double Alpha { get; set; } = 0.01;
}

/// <summary>Fixed-rate EMA of the trainable parameters after every optimiser step; the average replaces the live
/// weights at the end of each task. The baseline LLaCA improves on.</summary>
[CoinPlugin(PluginKind.ContinualUpdater, "ema", "0.1.0", "Fixed-rate EMA of the trainable parameters, written into the model at task end",
    Capabilities = [PluginCapabilities.ExtraMemoryPrefix + "1x", PluginCapabilities.FixedTrainableSet])]
internal sealed class EmaUpdater(EmaOptions options) : IContinualUpdater, ICheckpointable, IDisposable
{
    private ParameterSnapshot? average;

    public void OnTaskStart(TaskContext context)
        => average ??= new ParameterSnapshot(context.Model.TrainableGroups.SelectMany(g => g.Parameters));

    public void AfterStep(StepContext context, Batch lastBatch)
    {
        for (int i = 0; i < average!.Count; i++) average.Blend(i, options.Alpha);
    }

    public void OnTaskEnd(TaskContext context) => average!.WriteIntoLive();

    public void SaveState(ComponentState state) => average?.SaveTo(state, "average");

    public void LoadState(ComponentState state, TaskContext context) => average!.LoadFrom(state, "average");

    public void Dispose() => average?.Dispose();
}
