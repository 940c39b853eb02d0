using System.ComponentModel.DataAnnotations;
using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;

namespace Coin.Plugins.Adapters;

internal sealed class FullAdapterOptions : IValidatableObject
{
    /// <summary>Components whose every parameter trains; the others are frozen.</summary>
    public List<string> Train { get; set; } = [.. ComponentSelection.All];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var name in Train.Where(n => !ComponentSelection.All.Contains(n)))
            yield return new ValidationResult($"unknown component '{name}'; accepted: {string.Join(", ", ComponentSelection.All)}", [nameof(Train)]);
        if (Train.Count == 0)
            yield return new ValidationResult("at least one component must train", [nameof(Train)]);
    }
}

/// <summary>Full fine-tuning of the chosen components.</summary>
[CoinPlugin(PluginKind.Adapter, "full", "0.1.0", "Full fine-tuning of the chosen components (default: all)")]
internal sealed class FullAdapter(FullAdapterOptions options) : IAdapter, IDeclaresTrainableParts
{
    public IReadOnlySet<string> TrainableParts => options.Train.ToHashSet();

    public IReadOnlyList<ParameterGroup> Apply(IMultimodalModel model) => ComponentSelection.TrainOnly(model, options.Train);
}

/// <summary>Freezes encoder and backbone; only the connector trains (LLaVA's feature-alignment stage).</summary>
[CoinPlugin(PluginKind.Adapter, "frozen", "0.1.0", "Encoder and backbone frozen, connector trains")]
internal sealed class FrozenAdapter : IAdapter, IDeclaresTrainableParts
{
    public IReadOnlySet<string> TrainableParts { get; } = new HashSet<string> { ComponentNames.Connector };

    public IReadOnlyList<ParameterGroup> Apply(IMultimodalModel model) => ComponentSelection.TrainOnly(model, [ComponentNames.Connector]);
}
