using Coin.Engine.Plugins;

namespace Coin.Engine.Composition;

/// <summary>A resolved plugin with options bound and validated, ready to be created.</summary>
/// <param name="KeyPath">Configuration path of the component, e.g. <c>model.backbone</c>.</param>
public sealed record PlannedComponent(string KeyPath, PluginDescriptor Plugin, object Options);

/// <summary>Every component of an experiment, resolved before anything heavy is loaded.</summary>
public sealed record CompositionPlan(
    PlannedComponent Data,
    PlannedComponent Backbone,
    IReadOnlyDictionary<string, PlannedComponent> Encoders,
    PlannedComponent Connector,
    PlannedComponent Adapter,
    PlannedComponent Balance,
    IReadOnlyList<PlannedComponent> Continual,
    PlannedComponent Evaluator)
{
    /// <summary>The base model's data sources (<c>pretraining.data</c>); empty when they are the stream's.</summary>
    public IReadOnlyList<PlannedComponent> PretrainingData { get; init; } = [];

    /// <summary>The data sources whose first-stage data the base model is trained on.</summary>
    public IReadOnlyList<PlannedComponent> BaseData => PretrainingData.Count > 0 ? PretrainingData : [Data];

    public IEnumerable<PlannedComponent> All()
    {
        yield return Data;
        foreach (var source in PretrainingData) yield return source;
        yield return Backbone;
        foreach (var encoder in Encoders.Values) yield return encoder;
        yield return Connector;
        yield return Adapter;
        yield return Balance;
        foreach (var updater in Continual) yield return updater;
        yield return Evaluator;
    }
}
