using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;

namespace Coin.Plugins.Continual;

/// <summary>The multitask upper bound CoIN reports beside its continual runs: one model trained on the union of every
/// task's training data from the start weights. Within the stream's loop it is the last row: each task starts again
/// from the stream's start weights (as <c>independent</c>), and the last task's training mixes in every earlier task's
/// training samples. So the last row is the joint model, and the diagonal before it is single-task accuracy; the
/// other cells (and so BWT and forgetting) mean nothing for this run.</summary>
[CoinPlugin(PluginKind.ContinualUpdater, "multitask", "0.1.0", "Multitask upper bound: the last task trains on every task's data from the start weights",
    Capabilities = [PluginCapabilities.ExtraMemoryPrefix + "1x", PluginCapabilities.FixedTrainableSet])]
internal sealed class MultitaskUpdater : IContinualUpdater, ICheckpointable, IDisposable
{
    /// <summary>Restarts every task from the stream's start weights, and keeps them in checkpoints.</summary>
    private readonly IndependentUpdater restart = new();
    private readonly List<Sample> seen = [];

    public void OnTaskStart(TaskContext context)
    {
        if (context.Stream.Count == 0)
            throw new CoinUserException("continual 'multitask' needs to know the stream's length; this host does not say it (contract 1.4 or newer needed)");
        restart.OnTaskStart(context);
    }

    public IReadOnlyList<Sample> ExtraTrainingSamples(TaskContext context) => IsLast(context) ? [.. seen] : [];

    public void OnTaskEnd(TaskContext context)
    {
        if (!IsLast(context)) seen.AddRange(context.TrainSamples);
    }

    private static bool IsLast(TaskContext context) => context.Task.Index == context.Stream.Count - 1;

    public void SaveState(ComponentState state)
    {
        restart.SaveState(state);
        state.Samples["seen"] = [.. seen];
    }

    public void LoadState(ComponentState state, TaskContext context)
    {
        restart.LoadState(state, context);
        seen.Clear();
        seen.AddRange(state.Samples["seen"]);
    }

    public void Dispose() => restart.Dispose();
}
