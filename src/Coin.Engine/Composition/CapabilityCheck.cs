using Coin.Abstractions.Plugins;
using Coin.Engine.Plugins;

namespace Coin.Engine.Composition;

/// <summary>Refuses, before training, combinations the declared capabilities say cannot work: a component that needs
/// a model part trained which the adapter leaves frozen, or extra copies of the trainable parameters (EMA, Fisher,
/// previous model) plus the optimiser's state that do not fit in the memory the machine has.</summary>
public static class CapabilityCheck
{
    /// <summary>Bytes per trainable float32 parameter that training adds beyond the weights: the gradient and
    /// AdamW's two moments.</summary>
    private const double TrainingBytesPerParameter = 3 * 4;

    /// <param name="components">Every planned component (key path, plugin name, capabilities).</param>
    /// <param name="trainable">Trainable parameter count per model component (encoder, connector, backbone).</param>
    /// <param name="availableBytes">Memory the run may still use; null skips the memory check (e.g. on a GPU).</param>
    /// <returns>One message per problem; empty when the combination is possible.</returns>
    public static IReadOnlyList<string> Problems(IEnumerable<(string Key, string Plugin, DeclaredCapabilities Capabilities)> components,
        IReadOnlyDictionary<string, long> trainable, long? availableBytes)
    {
        var problems = new List<string>();
        var list = components.ToList();
        foreach (var (key, plugin, capabilities) in list)
            foreach (string part in capabilities.RequiresTrainable)
                if (trainable.GetValueOrDefault(part) == 0)
                    problems.Add($"{key}: '{plugin}' needs the {part} to be trainable, but model.adapter leaves it frozen " +
                                 $"(trainable: {string.Join(", ", trainable.Where(t => t.Value > 0).Select(t => t.Key))})");

        long parameters = trainable.Values.Sum();
        foreach (var (key, plugin, _) in list.Where(c => c.Capabilities.NeedsTrainableParameters))
            if (parameters == 0) problems.Add($"{key}: '{plugin}' needs trainable parameters ({PluginCapabilities.NeedsTrainableParameters}), but model.adapter trains none");

        double extra = list.Sum(c => c.Capabilities.ExtraMemoryMultiple) * 4 * parameters;
        double needed = extra + TrainingBytesPerParameter * parameters;
        if (availableBytes is { } available && needed > available)
            problems.Add($"training needs about {Gib(needed)} beyond the weights (gradients and AdamW state {Gib(TrainingBytesPerParameter * parameters)}" +
                         (extra > 0 ? $", {string.Join(", ", list.Where(c => c.Capabilities.ExtraMemoryMultiple > 0).Select(c => $"{c.Key} '{c.Plugin}' {Gib(c.Capabilities.ExtraMemoryMultiple * 4 * parameters)}"))}" : "") +
                         $") but {Gib(available)} are available; train fewer parameters (a LoRA adapter) or choose a method that keeps fewer copies");
        return problems;
    }

    /// <summary>For an adapter whose trainable set changes per task: every component that keeps state over the first
    /// task's set (<see cref="PluginCapabilities.FixedTrainableSet"/>) would silently follow those parameters only.</summary>
    public static IReadOnlyList<string> FixedSetProblems(IEnumerable<(string Key, string Plugin, DeclaredCapabilities Capabilities)> components)
    {
        var list = components.ToList();
        string adapter = list.FirstOrDefault(c => c.Key == "model.adapter").Plugin ?? "the adapter";
        return list.Where(c => c.Capabilities.FixedTrainableSet)
            .Select(c => $"{c.Key}: '{c.Plugin}' keeps state over the parameters trained at the first task ({PluginCapabilities.FixedTrainableSet}), " +
                         $"but model.adapter '{adapter}' adds new trainable parameters at every task; it would act on the first task's only. " +
                         "Use a method without per-parameter state (replay, A-GEM, sequential) with this adapter, or a fixed adapter (lora, dora) with this method")
            .ToList();
    }

    /// <summary>One warning per declared capability the host does not check or cannot read (a plugin built for contract
    /// 1.0 may declare the descriptive ones that were removed in 1.1): it is ignored, and the user is told so.</summary>
    public static IEnumerable<string> Unchecked(IEnumerable<(string Key, string Plugin, DeclaredCapabilities Capabilities)> components)
        => components.SelectMany(c => c.Capabilities.Ignored
            .Select(ignored => $"{c.Key}: '{c.Plugin}' declares the capability '{ignored.Capability}', {ignored.Why}; it is ignored"));

    private static string Gib(double bytes) => $"{bytes / (1L << 30):F2} GiB";
}
