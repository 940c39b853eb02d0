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
}
