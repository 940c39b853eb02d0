using TorchSharp.Modules;

namespace Coin.Abstractions.Components;

/// <summary>A named set of trainable parameters that gets its own learning rate.</summary>
/// <param name="Name">One of <see cref="ComponentNames"/>: the component the parameters belong to.</param>
/// <param name="Parameters">Parameters with <c>requires_grad</c> set; the model owns them.</param>
public sealed record ParameterGroup(string Name, IReadOnlyList<Parameter> Parameters);

/// <summary>Names of the model's components, used for parameter groups and per-component learning rates.</summary>
public static class ComponentNames
{
    /// <summary>All encoders together.</summary>
    public const string Encoder = "encoder";
    /// <summary>All connectors together.</summary>
    public const string Connector = "connector";
    /// <summary>The backbone LLM (and what an adapter injects into it).</summary>
    public const string Backbone = "backbone";

    /// <summary>Every component name, in the order the model is assembled.</summary>
    public static readonly IReadOnlyList<string> All = [Encoder, Connector, Backbone];
}
