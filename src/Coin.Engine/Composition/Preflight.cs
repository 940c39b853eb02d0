using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;
using Coin.Engine.Runtime;
using static TorchSharp.torch;

namespace Coin.Engine.Composition;

/// <summary>The capability check, run twice: before the base model's first stage (with the parts the adapter
/// declares it will train, and the memory the first stage itself needs to train every parameter), and after the
/// adapter is applied (with the parameters it really made trainable).</summary>
public static class Preflight
{
    /// <summary>Before the base-model stage; an adapter that does not declare its parts is checked after it is applied.</summary>
    /// <param name="activationCheckpointing">training.activationCheckpointing: refused beside a component that takes
    /// gradients through the forward pass itself (<see cref="PluginCapabilities.DifferentiatesForward"/>).</param>
    public static void BeforeBaseStage(string source, CompositionPlan plan, ComposedExperiment run, Device device, bool trainsBase, bool activationCheckpointing = false)
    {
        if (activationCheckpointing)
            Throw(source, Declared(plan).Where(c => c.Capabilities.DifferentiatesForward)
                .Select(c => $"{c.Key}: '{c.Plugin}' takes gradients through the forward pass itself ({PluginCapabilities.DifferentiatesForward}), which " +
                             "training.activationCheckpointing cannot serve (its layers are recomputed inside the backward pass); set it to false for this run")
                .ToList());
        if (run.Adapter is IAdapterLifecycle)
            Throw(source, CapabilityCheck.FixedSetProblems(Declared(plan)));
        var total = PartSizes(run, _ => true);
        if (run.Adapter is IDeclaresTrainableParts declared)
            Throw(source, CapabilityCheck.Problems(Declared(plan), PartSizes(run, declared.TrainableParts.Contains), null));
        // The first stage trains every parameter with AdamW: that must fit too.
        if (trainsBase)
            Throw(source, CapabilityCheck.Problems([], total, Available(device)).Select(p => "base-model stage: " + p).ToList());
    }

    public static void AfterAdapter(string source, CompositionPlan plan, ComposedExperiment run, Device device)
    {
        var trainable = ComponentNames.All.ToDictionary(c => c,
            c => run.Model.TrainableGroups.Where(g => g.Name == c).Sum(g => g.Parameters.Sum(p => p.numel())));
        Throw(source, CapabilityCheck.Problems(Declared(plan), trainable, Available(device)));
    }

    private static IEnumerable<(string Key, string Plugin, Plugins.DeclaredCapabilities Capabilities)> Declared(CompositionPlan plan)
        => plan.All().Select(c => (c.KeyPath, c.Plugin.Name, c.Plugin.Checked));

    private static Dictionary<string, long> PartSizes(ComposedExperiment run, Func<string, bool> included)
        => ComponentNames.All.ToDictionary(c => c,
            c => included(c) ? run.Model.ComponentModules(c).Sum(m => m.parameters().Sum(p => p.numel())) : 0);

    private static long? Available(Device device) => device.type == TorchSharp.DeviceType.CPU ? TorchRuntime.AvailableMemoryBytes() : null;

    private static void Throw(string source, IReadOnlyList<string> problems)
    {
        if (problems.Count > 0)
            throw new CoinUserException($"{source}: this combination cannot run:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", problems)}");
    }
}
