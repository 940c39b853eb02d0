using System.ComponentModel.DataAnnotations;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Nn.Layers;
using Coin.Plugins.Adapters.Lora;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Plugins.Adapters.OLora;

public sealed class OLoraOptions : LoraOptions
{
    /// <summary>λ1, the weight of the orthogonality loss Σ |A_old A_newᵀ| (O-LoRA's lamda_1; 0.5 in its scripts).</summary>
    [Range(0.0, 1e6)] public double Orthogonality { get; set; } = 0.5;

    /// <summary>λ2, the weight of the L2 norm of the new task's LoRA parameters (O-LoRA's lamda_2; 0 in its scripts).</summary>
    [Range(0.0, 1e6)] public double L2 { get; set; }
}

/// <summary>O-LoRA (Wang et al., 2023, "Orthogonal Subspace Learning for Language Model Continual Learning"): every task
/// learns its own LoRA in each targeted linear while the earlier tasks' stay frozen and keep adding their updates; the
/// loss gains λ1 Σ_layers Σ_(i &lt; t) |A_i A_tᵀ| (the sum of absolute entries), which pushes the new task's subspace
/// (the rows of A_t) to be orthogonal to the earlier ones, and λ2 Σ ‖θ_t‖₂ over the new LoRA's tensors. At evaluation
/// every task's update is applied (O-LoRA needs no task identity). Logs <c>olora/orthogonality</c> per step.</summary>
/// <remarks>The first task's LoRA is made when the adapter is applied; each later task's at its start (contract 2.0's
/// <see cref="IAdapterLifecycle.BeginTask"/>). Checkpoints hold every task's pairs, so a resumed run rebuilds them.</remarks>
public sealed class OLoraAdapter(OLoraOptions options) : IAdapter, IDeclaresTrainableParts, IAdapterLifecycle, ITrainingHooks, ICheckpointable
{
    private readonly List<TaskLowRankLayer> layers = [];
    private IMultimodalModel? model;

    public IReadOnlySet<string> TrainableParts => options.Targets.Concat(options.TrainFully).ToHashSet();

    public IReadOnlyList<TaskLowRankLayer> Layers => layers;

    public IReadOnlyList<ParameterGroup> Apply(IMultimodalModel model)
    {
        this.model = model;
        foreach (string component in ComponentNames.All)
        {
            bool full = options.TrainFully.Contains(component);
            foreach (var p in model.ComponentModules(component).SelectMany(m => m.parameters())) p.requires_grad = full;
            if (!options.Targets.Contains(component)) continue;
            foreach (var module in model.ComponentModules(component))
            {
                var candidates = module.named_modules().Where(m => !m.Item1.Contains(".olora_", StringComparison.Ordinal) && options.TargetModules.Any(p => LowRankInjector.Matches(m.Item1, p))).ToList();
                foreach (var (name, linear) in candidates)
                    if (linear is AutocastLinear target)
                        layers.Add(new TaskLowRankLayer(name, target, options.Rank, options.Alpha, options.Dropout));
            }
            if (!layers.Any()) throw new CoinUserException($"model.adapter.options.targetModules: no linear layer of the {component} matches {string.Join(", ", options.TargetModules)}");
        }
        foreach (var layer in layers) layer.AddTask();
        return Groups();
    }

    public IReadOnlyList<ParameterGroup> BeginTask(TaskContext context)
    {
        // Idempotent: a resumed run's LoadState has already rebuilt the pairs up to this task.
        while (layers[0].Count < context.Task.Index + 1)
            foreach (var layer in layers) layer.AddTask();
        return Groups();
    }

    private IReadOnlyList<ParameterGroup> Groups()
    {
        var groups = new List<ParameterGroup>();
        foreach (string component in ComponentNames.All)
        {
            var trainable = options.TrainFully.Contains(component)
                ? model!.ComponentModules(component).SelectMany(m => m.parameters()).Where(p => p.requires_grad).ToList()
                : [];
            if (options.Targets.Contains(component))
                trainable.AddRange(layers.SelectMany(l => new[] { l.Pair(l.Count - 1).A, l.Pair(l.Count - 1).B }));
            if (trainable.Count > 0) groups.Add(new ParameterGroup(component, trainable));
        }
        return groups;
    }

    /// <summary>λ1 Σ_layers Σ_(i &lt; t) |A_i A_tᵀ| + λ2 Σ ‖θ_t‖₂, from the second task on.</summary>
    public Tensor? ExtraLoss(StepContext context, Batch batch, ModelOutput output)
    {
        if (layers.Count == 0 || layers[0].Count < 2) return null;
        Tensor? orthogonality = null, l2 = null;
        foreach (var layer in layers)
        {
            var (a, b) = layer.Pair(layer.Count - 1);
            var newA = a.to_type(ScalarType.Float32);
            for (int i = 0; i < layer.Count - 1; i++)
            {
                var term = layer.Pair(i).A.detach().to_type(ScalarType.Float32).matmul(newA.t()).abs().sum();
                orthogonality = orthogonality is null ? term : orthogonality + term;
            }
            var norms = newA.norm() + b.to_type(ScalarType.Float32).norm();
            l2 = l2 is null ? norms : l2 + norms;
        }
        context.Log("olora/orthogonality", orthogonality!.item<float>());
        var loss = orthogonality * options.Orthogonality;
        return options.L2 > 0 ? loss + l2! * options.L2 : loss;
    }

    public void SaveState(ComponentState state)
    {
        state.Values["tasks"] = layers.Count == 0 ? 0 : layers[0].Count;
        for (int l = 0; l < layers.Count; l++)
            for (int t = 0; t < layers[l].Count; t++)
            {
                state.Tensors[$"{l}.{t}.A"] = layers[l].Pair(t).A;
                state.Tensors[$"{l}.{t}.B"] = layers[l].Pair(t).B;
            }
    }

    /// <summary>Rebuilds every saved task's pairs (earlier ones frozen) and their values.</summary>
    public void LoadState(ComponentState state, TaskContext context)
    {
        int tasks = state.Values["tasks"]!.GetValue<int>();
        while (layers[0].Count < tasks)
            foreach (var layer in layers) layer.AddTask();
        using var noGrad = no_grad();
        for (int l = 0; l < layers.Count; l++)
            for (int t = 0; t < tasks; t++)
            {
                layers[l].Pair(t).A.copy_(state.Tensors[$"{l}.{t}.A"]);
                layers[l].Pair(t).B.copy_(state.Tensors[$"{l}.{t}.B"]);
            }
    }
}

[CoinPlugin(PluginKind.Adapter, "olora", "0.1.0", "O-LoRA: a LoRA per task, earlier ones frozen, an orthogonality loss between the new and the earlier subspaces")]
public sealed class OLoraAdapterPlugin : PluginFactory<IAdapter, OLoraOptions>
{
    protected override IAdapter Create(OLoraOptions options, ComponentContext context) => new OLoraAdapter(options);
}
