using System.ComponentModel.DataAnnotations;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Plugins.Continual.Rehearsal;
using static TorchSharp.torch;

namespace Coin.Plugins.Continual.Gradient;

internal sealed class AgemOptions
{
    /// <summary>Samples kept in the episodic memory from each finished task (reservoir sampling over its training set).</summary>
    [Range(1, 1_000_000)] public int MemoryPerTask { get; set; } = 64;

    /// <summary>Memory samples drawn for each step's reference gradient (A-GEM's reference batch).</summary>
    [Range(1, 65_536)] public int ReferenceBatchSize { get; set; } = 16;
}

/// <summary>A-GEM (Chaudhry et al., 2019, "Efficient Lifelong Learning with A-GEM"): after backward, the step's gradient
/// g is compared with the gradient g_ref of the loss on a batch drawn from the memory of earlier tasks; when they
/// conflict (g·g_ref &lt; 0), g is projected to g − (g·g_ref / g_ref·g_ref) g_ref, so that the step does not increase the
/// memory's loss to first order. Dot products run over every trainable parameter at once, in float32. Logs
/// <c>agem/projected</c> (1 when the step was projected) per step.</summary>
/// <remarks>The memory is never trained on (unlike replay): it only constrains the direction of each step. The reference
/// batch of a step is drawn from a generator seeded by the run's seed and the global step, so a resumed run draws the
/// same batches.</remarks>
[CoinPlugin(PluginKind.ContinualUpdater, "agem", "0.1.0", "A-GEM: each step's gradient projected so it does not raise the loss on a memory of earlier tasks")]
internal sealed class AgemUpdater(AgemOptions options, ComponentContext created) : IContinualUpdater, ICheckpointable
{
    private readonly int seed = created.Seed;
    private readonly List<Sample> memory = [];

    /// <summary>A-GEM's projection of <paramref name="gradient"/> against <paramref name="reference"/> (flat float32
    /// vectors): unchanged when they do not conflict.</summary>
    public static (Tensor Gradient, bool Projected) Project(Tensor gradient, Tensor reference)
    {
        double dot = gradient.dot(reference).item<float>();
        if (dot >= 0) return (gradient, false);
        double norm = reference.dot(reference).item<float>();
        return norm == 0 ? (gradient, false) : (gradient - reference * (dot / norm), true);
    }

    public void AfterBackward(StepContext context)
    {
        if (memory.Count == 0) return;
        var parameters = context.Model.TrainableGroups.SelectMany(g => g.Parameters).Where(p => p.grad is not null).ToList();
        if (parameters.Count == 0) return;
        var gradient = cat(parameters.Select(p => p.grad!.to_type(ScalarType.Float32).flatten()).ToList());

        var random = new Random(unchecked((int)(seed * 1_000_003L + context.GlobalStep)));
        var batch = memory.OrderBy(_ => random.Next()).Take(options.ReferenceBatchSize).ToList();
        foreach (var p in parameters) p.grad = null;
        context.Model.Forward(context.Model.Collate(batch)).Loss.backward();
        var reference = cat(parameters.Select(p => p.grad is { } g ? g.to_type(ScalarType.Float32).flatten() : zeros(p.numel())).ToList());

        var (projected, changed) = Project(gradient, reference);
        using (no_grad())
        {
            long offset = 0;
            foreach (var p in parameters)
            {
                var slice = projected.narrow(0, offset, p.numel()).view(p.shape).to_type(p.dtype);
                // The parameter holds its own reference to a gradient set here; the step's scope disposes only handles.
                if (p.grad is { } g) g.copy_(slice);
                else p.grad = slice.clone();
                offset += p.numel();
            }
        }
        context.Log("agem/projected", changed ? 1 : 0);
    }

    public void OnTaskEnd(TaskContext context)
        => memory.AddRange(ReplayUpdater.Reservoir(context.TrainSamples, options.MemoryPerTask, new Random(unchecked(seed * 7_919 + context.Task.Index))));

    public void SaveState(ComponentState state) => state.Samples["memory"] = [.. memory];

    public void LoadState(ComponentState state, TaskContext context)
    {
        memory.Clear();
        memory.AddRange(state.Samples["memory"]);
    }
}
