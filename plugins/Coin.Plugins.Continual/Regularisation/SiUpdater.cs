using System.ComponentModel.DataAnnotations;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Nn.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Plugins.Continual.Regularisation;

internal sealed class SiOptions
{
    /// <summary>Strength c of the surrogate loss c Σ Ω (θ − θ*)² (Zenke et al. use 0.1 on split MNIST).</summary>
    [Range(0.0, 1e12)] public double Strength { get; set; } = 0.1;

    /// <summary>Damping ξ in Ω += ω / (Δ² + ξ), which keeps a parameter that did not move from dividing by zero.</summary>
    [Range(1e-12, 1e6)] public double Damping { get; set; } = 1e-3;
}

/// <summary>Synaptic intelligence (Zenke, Poole and Ganguli, 2017): while a task trains, each parameter's path integral
/// ω += −g·Δθ sums how much its every step lowered the task's loss (g the loss gradient before clipping, without the
/// surrogate's own term; Δθ the optimiser's update). At task end Ω += ω / (Δ² + ξ), with Δ how far the parameter moved
/// over the task, θ* becomes the weights, ω starts again from 0. Later steps add c Σ Ω (θ − θ*)². Kept in float32.</summary>
[CoinPlugin(PluginKind.ContinualUpdater, "si", "0.2.0", "Synaptic intelligence: path-integral importance of each parameter, a quadratic pull towards the last task's weights",
    Capabilities = [PluginCapabilities.ExtraMemoryPrefix + "6x", PluginCapabilities.FixedTrainableSet])]
internal sealed class SiUpdater(SiOptions options) : IContinualUpdater, ICheckpointable, IDisposable
{
    private List<Parameter> parameters = [];
    private readonly List<Tensor> omega = [], importance = [], anchor = [], taskStart = [], beforeStep = [], taskGradient = [];
    private bool anchored;

    public void OnTaskStart(TaskContext context)
    {
        if (parameters.Count == 0)
        {
            parameters = context.Model.TrainableGroups.SelectMany(g => g.Parameters).ToList();
            foreach (var list in new[] { omega, importance, anchor, taskStart, beforeStep, taskGradient })
                foreach (var p in parameters) list.Add(zeros(p.shape, dtype: ScalarType.Float32, device: p.device).DetachFromDisposeScope());
        }
        using var noGrad = no_grad();
        for (int i = 0; i < parameters.Count; i++)
        {
            omega[i].zero_();
            taskStart[i].copy_(parameters[i].to_type(ScalarType.Float32));
        }
    }

    public Tensor? ExtraLoss(StepContext context, Batch batch, ModelOutput output)
    {
        if (!anchored) return null;
        Tensor penalty = zeros(1, device: parameters[0].device).squeeze();
        for (int i = 0; i < parameters.Count; i++)
            penalty = penalty + (importance[i] * (parameters[i].to_type(ScalarType.Float32) - anchor[i]).pow(2)).sum();
        return penalty * options.Strength;
    }

    /// <summary>The task loss's gradient: the step's gradient less the surrogate's, 2cΩ(θ − θ*), known in closed form.</summary>
    public void AfterBackward(StepContext context)
    {
        using var noGrad = no_grad();
        for (int i = 0; i < parameters.Count; i++)
        {
            var live = parameters[i].to_type(ScalarType.Float32);
            beforeStep[i].copy_(live);
            if (parameters[i].grad is not { } g) { taskGradient[i].zero_(); continue; }
            var gradient = g.to_type(ScalarType.Float32);
            if (anchored) gradient = gradient - importance[i] * (live - anchor[i]) * (2 * options.Strength);
            taskGradient[i].copy_(gradient);
        }
    }

    public void AfterStep(StepContext context, Batch lastBatch)
    {
        using var noGrad = no_grad();
        for (int i = 0; i < parameters.Count; i++)
            omega[i].sub_(taskGradient[i] * (parameters[i].to_type(ScalarType.Float32) - beforeStep[i]));
    }

    public void OnTaskEnd(TaskContext context)
    {
        using var noGrad = no_grad();
        for (int i = 0; i < parameters.Count; i++)
        {
            var live = parameters[i].to_type(ScalarType.Float32);
            importance[i].add_(omega[i] / ((live - taskStart[i]).pow(2) + options.Damping));
            anchor[i].copy_(live);
        }
        anchored = true;
        // The importance summed over every weight: how strongly the pull now holds the model (per task, in task-log.csv).
        double total = 0;
        foreach (var weights in importance)
        {
            using var sum = weights.sum();
            total += sum.item<float>();
        }
        context.Record("importance total", total);
    }

    public void SaveState(ComponentState state)
    {
        CheckpointTensors.Save(state, "omega", omega);
        CheckpointTensors.Save(state, "importance", importance);
        CheckpointTensors.Save(state, "anchor", anchor);
        CheckpointTensors.Save(state, "task-start", taskStart);
        state.Values["anchored"] = anchored;
    }

    /// <summary>After OnTaskStart of the resumed task, which reset ω and the task's start to the mid-task weights:
    /// both come back from the checkpoint with the importance and the anchor.</summary>
    public void LoadState(ComponentState state, TaskContext context)
    {
        CheckpointTensors.CopyInto(state, "omega", omega);
        CheckpointTensors.CopyInto(state, "importance", importance);
        CheckpointTensors.CopyInto(state, "anchor", anchor);
        CheckpointTensors.CopyInto(state, "task-start", taskStart);
        anchored = state.Values["anchored"]!.GetValue<bool>();
    }

    public void Dispose()
    {
        foreach (var t in omega.Concat(importance).Concat(anchor).Concat(taskStart).Concat(beforeStep).Concat(taskGradient)) t.Dispose();
    }
}
