using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Nn.Training;
using static TorchSharp.torch;

namespace Coin.Plugins.Continual;

/// <summary>Each task trained alone from the weights the stream started with (the base model): the reference run of
/// a continual study. Its diagonal A[i][i] is single-task accuracy, the ceiling that forgetting and plasticity are
/// read against; its off-diagonal cells show how far one task's model transfers to the others.</summary>
[CoinPlugin(PluginKind.ContinualUpdater, "independent", "0.1.0", "Every task trained alone from the starting weights: single-task reference accuracy",
    Capabilities = [PluginCapabilities.ExtraMemoryPrefix + "1x", PluginCapabilities.FixedTrainableSet])]
internal sealed class IndependentUpdater : IContinualUpdater, ICheckpointable, IDisposable
{
    private ParameterSnapshot? start;

    public void OnTaskStart(TaskContext context)
    {
        if (start is null) start = new ParameterSnapshot(context.Model.TrainableGroups.SelectMany(g => g.Parameters));
        else start.WriteIntoLive();
    }

    public void SaveState(ComponentState state) => start?.SaveTo(state, "start");

    /// <summary>On resume <see cref="OnTaskStart"/> has just copied the restored (mid-task) weights; the saved copy of
    /// the stream's starting weights replaces them.</summary>
    public void LoadState(ComponentState state, TaskContext context) => start!.LoadFrom(state, "start");

    public void Dispose() => start?.Dispose();
}
