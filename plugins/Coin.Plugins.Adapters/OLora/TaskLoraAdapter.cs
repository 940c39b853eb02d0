using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Plugins.Adapters.Lora;
using static TorchSharp.torch;

namespace Coin.Plugins.Adapters.OLora;

/// <summary>What O-LoRA and the LoRA bank share: a <see cref="TaskLowRankLayer"/> in every targeted linear, the first
/// task's pair made when the adapter is applied and each later task's at its start (earlier ones frozen), the trainable
/// groups (the newest pairs and the components trained in full), and every pair in checkpoints so that a resumed run
/// rebuilds them.</summary>
internal abstract class TaskLoraAdapter(LoraOptions options, TaskSelection? selection) : IAdapter, IDeclaresTrainableParts, IAdapterLifecycle, ICheckpointable
{
    private readonly List<TaskLowRankLayer> layers = [];
    private IMultimodalModel? model;

    /// <summary>What the layers apply (a bank's routing), or null to apply every task's update (O-LoRA).</summary>
    protected TaskSelection? Selection { get; } = selection;

    public IReadOnlySet<string> TrainableParts => options.Targets.Concat(options.TrainFully).ToHashSet();

    public IReadOnlyList<TaskLowRankLayer> Layers => layers;

    /// <summary>How many tasks have their own pair.</summary>
    public int Tasks => layers.Count == 0 ? 0 : layers[0].Count;

    protected IMultimodalModel Model => model ?? throw new InvalidOperationException("the adapter is not applied yet");

    public IReadOnlyList<ParameterGroup> Apply(IMultimodalModel model)
    {
        this.model = model;
        ComponentSelection.TrainOnly(model, options.TrainFully);
        foreach (string component in ComponentNames.All.Where(options.Targets.Contains))
        {
            var injected = model.ComponentModules(component).SelectMany(m => LowRankInjector.Inject(m, options.TargetModules,
                (name, target) => new TaskLowRankLayer(name, target, options.Rank, options.Alpha, options.Dropout, Selection))).ToList();
            if (injected.Count == 0)
                throw new CoinOptionException("targetModules", $"no linear layer of the {component} matches {string.Join(", ", options.TargetModules)}");
            layers.AddRange(injected);
        }
        foreach (var layer in layers) layer.AddTask();
        return Groups();
    }

    public virtual IReadOnlyList<ParameterGroup> BeginTask(TaskContext context)
    {
        // Idempotent: a resumed run's LoadState has already rebuilt the pairs up to this task.
        while (Tasks < context.Task.Index + 1)
            foreach (var layer in layers) layer.AddTask();
        return Groups();
    }

    private IReadOnlyList<ParameterGroup> Groups()
    {
        var groups = new List<ParameterGroup>();
        foreach (string component in ComponentNames.All)
        {
            var trainable = options.TrainFully.Contains(component)
                ? Model.ComponentModules(component).SelectMany(m => m.parameters()).Where(p => p.requires_grad).ToList()
                : [];
            if (options.Targets.Contains(component))
                trainable.AddRange(layers.SelectMany(l => new[] { l.Pair(l.Count - 1).A, l.Pair(l.Count - 1).B }));
            if (trainable.Count > 0) groups.Add(new ParameterGroup(component, trainable));
        }
        return groups;
    }

    public virtual void SaveState(ComponentState state)
    {
        state.Values["tasks"] = Tasks;
        for (int l = 0; l < layers.Count; l++)
            for (int t = 0; t < layers[l].Count; t++)
            {
                state.Tensors[$"{l}.{t}.A"] = layers[l].Pair(t).A;
                state.Tensors[$"{l}.{t}.B"] = layers[l].Pair(t).B;
            }
    }

    /// <summary>Rebuilds every saved task's pairs (earlier ones frozen) and their values.</summary>
    public virtual void LoadState(ComponentState state, TaskContext context)
    {
        int tasks = state.Values["tasks"]!.GetValue<int>();
        while (Tasks < tasks)
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
