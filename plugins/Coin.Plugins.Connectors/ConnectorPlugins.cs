using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;

namespace Coin.Plugins.Connectors;

[CoinPlugin(PluginKind.Connector, "linear", "0.1.0", "Linear projection from encoder features to token embeddings")]
public sealed class LinearConnectorPlugin : PluginFactory<IConnector, NoOptions>
{
    protected override IConnector Create(NoOptions options, ComponentContext context)
        => new LinearConnector(ConnectorWidths.Input(context), ConnectorWidths.Output(context));
}

[CoinPlugin(PluginKind.Connector, "mlp2x-gelu", "0.1.0", "LLaVA-1.5 projector: Linear, GELU, Linear")]
public sealed class Mlp2xGeluConnectorPlugin : PluginFactory<IConnector, NoOptions>
{
    protected override IConnector Create(NoOptions options, ComponentContext context)
        => new Mlp2xGeluConnector(ConnectorWidths.Input(context), ConnectorWidths.Output(context));
}

internal static class ConnectorWidths
{
    public static int Input(ComponentContext context)
        => context.Encoder?.OutputDim ?? throw new InvalidOperationException("a connector needs its encoder in the context");

    public static int Output(ComponentContext context)
        => context.Backbone?.HiddenSize ?? throw new InvalidOperationException("a connector needs the backbone in the context");
}
