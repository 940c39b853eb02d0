using System.ComponentModel.DataAnnotations;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MyMethod;

/// <summary>Options bound from the experiment's <c>continual.options</c> section; unknown keys and values outside
/// the ranges are refused before the run starts.</summary>
public sealed class MyMethodOptions
{
    /// <summary>Strength λ of the penalty λ/2 Σ (θ − θ_start)², θ_start being the weights when the task began.</summary>
    [Range(0.0, 1e12)] public double Strength { get; set; } = 1.0;
}

/// <summary>A starting point: the L2 baseline of continual learning. From the second task on, the trainable weights
/// are pulled towards where the task started (the end of the previous one). Replace the penalty by your method.</summary>
/// <remarks>Tensors kept across steps are created outside the step's dispose scope and disposed here; state that
/// lives across steps is checkpointed, so <c>coin run --resume</c> continues exactly.
/// <para>[CoinPlugin] sits on the class itself: the kind, the name used in experiment files, the plugin's version
/// and a line for <c>coin plugins</c>. The host constructs it through its constructor, with the bound options (a
/// <c>ComponentContext</c> parameter may be added for the device, seed or run folder). Write a <c>PluginFactory</c>
/// only when creating the component takes more than that.</para>
/// </remarks>
[CoinPlugin(PluginKind.ContinualUpdater, "my-method", "0.1.0", "L2 pull towards each task's starting weights (from the coin-plugin template)")]
public sealed class MyMethodUpdater(MyMethodOptions options) : IContinualUpdater, ICheckpointable, IDisposable
{
    private List<(Parameter Live, Tensor Start)> anchor = [];

    public void OnTaskStart(TaskContext context)
    {
        Dispose();
        if (context.Task.Index == 0) return; // nothing learnt yet to protect
        using var noGrad = no_grad();
        anchor = context.Model.TrainableGroups.SelectMany(g => g.Parameters)
            .Select(p => (p, p.detach().to_type(ScalarType.Float32).clone().DetachFromDisposeScope())).ToList();
    }

    public Tensor? ExtraLoss(StepContext context, Batch batch, ModelOutput output)
    {
        if (anchor.Count == 0) return null;
        var penalty = anchor.Select(a => (a.Live.to_type(ScalarType.Float32) - a.Start).pow(2).sum()).Aggregate((x, y) => x + y);
        context.Log("my-method/penalty", penalty.item<float>()); // a column of steps.csv and a TensorBoard curve
        return penalty * (options.Strength / 2);
    }

    public void SaveState(ComponentState state)
    {
        for (int i = 0; i < anchor.Count; i++) state.Tensors[$"start.{i}"] = anchor[i].Start;
    }

    public void LoadState(ComponentState state, TaskContext context)
    {
        // OnTaskStart has just copied the restored (mid-task) weights; the saved start weights replace them.
        using var noGrad = no_grad();
        for (int i = 0; i < anchor.Count; i++) anchor[i].Start.copy_(state.Tensors[$"start.{i}"]);
    }

    public void Dispose()
    {
        foreach (var (_, start) in anchor) start.Dispose();
        anchor = [];
    }
}
