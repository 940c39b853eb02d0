using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;

namespace Coin.Plugins.Connectors;

internal sealed class Mlp2xGeluOptions
{
    /// <summary>LLaVA's trained projector: a model folder in the original LLaVA layout (config.json with
    /// mm_projector_type mlp2x_gelu, the checkpoint holding model.mm_projector.*), or the mm_projector.bin its first
    /// stage saves; may use <c>${variables}</c>. Null: freshly initialised.</summary>
    public string? Path { get; set; }
}

[CoinPlugin(PluginKind.Connector, "mlp2x-gelu", "0.2.1", "LLaVA-1.5 projector: Linear, GELU, Linear; loads LLaVA's mm_projector")]
internal sealed class Mlp2xGeluConnectorPlugin : PluginFactory<IConnector, Mlp2xGeluOptions>
{
    protected override IConnector Create(Mlp2xGeluOptions options, ComponentContext context)
    {
        var connector = new Mlp2xGeluConnector(ConnectorWidths.Input(context), ConnectorWidths.Output(context), context.Encoder?.TokensPerInput ?? 0);
        if (options.Path is { } path) LlavaProjector.LoadInto(connector, context.ResolvePath(path), ConnectorWidths.Input(context));
        return connector;
    }
}

internal static class ConnectorWidths
{
    public static int Input(ComponentContext context)
        => context.Encoder?.OutputDim ?? throw new InvalidOperationException("a connector needs its encoder in the context");

    public static int Output(ComponentContext context)
        => context.Backbone?.HiddenSize ?? throw new InvalidOperationException("a connector needs the backbone in the context");
}
