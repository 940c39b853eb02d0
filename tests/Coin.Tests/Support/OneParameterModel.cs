using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Tests.Support;

/// <summary>A model that is one trainable tensor, for methods checked against cases worked out by hand: it has
/// trainable groups and nothing else (no forward pass).</summary>
public sealed class OneParameterModel(Parameter parameter) : IMultimodalModel
{
    public IBackbone Backbone => throw new NotSupportedException();
    public IReadOnlyDictionary<string, IEncoder> Encoders => throw new NotSupportedException();
    public IReadOnlyDictionary<string, IConnector> Connectors => throw new NotSupportedException();
    public IReadOnlyList<nn.Module> ComponentModules(string component) => throw new NotSupportedException();
    public IReadOnlyList<ParameterGroup> TrainableGroups => [new ParameterGroup(ComponentNames.Backbone, [parameter])];
    public ModelOutput Forward(Batch batch) => throw new NotSupportedException();
    public Batch Collate(IReadOnlyList<Sample> samples) => throw new NotSupportedException();
}
