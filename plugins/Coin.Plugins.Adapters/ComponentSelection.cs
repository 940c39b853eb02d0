using Coin.Abstractions.Components;
using TorchSharp.Modules;

namespace Coin.Plugins.Adapters;

/// <summary>Sets requires_grad per component and builds the named parameter groups.</summary>
internal static class ComponentSelection
{
    public static readonly string[] All = [ComponentNames.Encoder, ComponentNames.Connector, ComponentNames.Backbone];

    public static IReadOnlyList<ParameterGroup> TrainOnly(IMultimodalModel model, IReadOnlyCollection<string> trained)
    {
        var groups = new List<ParameterGroup>();
        foreach (var component in All)
        {
            bool train = trained.Contains(component);
            var parameters = new List<Parameter>();
            if (train) RefuseFrozenStorage(component, model.ComponentModules(component));
            foreach (var module in model.ComponentModules(component))
                foreach (var p in module.parameters())
                {
                    p.requires_grad = train;
                    if (train) parameters.Add(p);
                }
            if (parameters.Count > 0) groups.Add(new ParameterGroup(component, parameters));
        }
        return groups;
    }

    /// <summary>A component trained in full cannot hold linear weights stored for a frozen base (bfloat16, int8, NF4:
    /// <c>frozenWeights</c>): the optimiser needs float32 master weights, and a quantised layer has no weight
    /// parameter at all, so it would silently not train.</summary>
    public static void RefuseFrozenStorage(string component, IEnumerable<TorchSharp.torch.nn.Module> modules)
    {
        var stored = modules.SelectMany(m => m.modules()).OfType<Coin.Nn.Layers.AutocastLinear>()
            .Where(l => l.Storage != Coin.Nn.Quantization.FrozenWeights.Float32).Select(l => l.Storage).Distinct().ToList();
        if (stored.Count > 0)
            throw new Abstractions.Plugins.CoinUserException(
                $"the {component} is to train in full, but its linear weights are stored for a frozen base ({string.Join(", ", stored.Select(Coin.Nn.Quantization.FrozenWeightsNames.Name))}: " +
                $"the {component}'s frozenWeights option); train it with LoRA or one of its kin, or set that option to auto");
    }
}
