using System.ComponentModel.DataAnnotations;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using static TorchSharp.torch;

namespace Coin.Plugins.Continual.Rehearsal;

internal sealed class ReplayOptions
{
    /// <summary>Samples kept from each finished task (reservoir sampling over its training set).</summary>
    [Range(1, 1_000_000)] public int BufferPerTask { get; set; } = 64;
}

/// <summary>Experience replay: at the end of each task a reservoir sample of its training data is kept; every later
/// task trains on its own data mixed with all kept samples.</summary>
[CoinPlugin(PluginKind.ContinualUpdater, "replay", "0.2.0", "Experience replay: a reservoir sample per task mixed into later tasks' training")]
internal sealed class ReplayUpdater(ReplayOptions options, ComponentContext created) : IContinualUpdater, ICheckpointable
{
    private readonly int seed = created.Seed;
    private readonly List<Sample> buffer = [];

    public IReadOnlyList<Sample> Buffer => buffer;

    public IReadOnlyList<Sample> ExtraTrainingSamples(TaskContext context) => [.. buffer];

    public void OnTaskEnd(TaskContext context)
    {
        buffer.AddRange(Reservoir(context.TrainSamples, options.BufferPerTask, new Random(unchecked(seed * 7_919 + context.Task.Index))));
        context.Record("memory samples", buffer.Count);
    }

    public void SaveState(ComponentState state) => state.Samples["buffer"] = [.. buffer];

    public void LoadState(ComponentState state, TaskContext context)
    {
        buffer.Clear();
        buffer.AddRange(state.Samples["buffer"]);
    }

    /// <summary>Algorithm R: a uniform sample of <paramref name="size"/> items in one pass.</summary>
    public static List<T> Reservoir<T>(IEnumerable<T> items, int size, Random random)
    {
        var kept = new List<T>(size);
        int seen = 0;
        foreach (var item in items)
        {
            if (kept.Count < size) kept.Add(item);
            else if (random.Next(seen + 1) is var j && j < size) kept[j] = item;
            seen++;
        }
        return kept;
    }
}
