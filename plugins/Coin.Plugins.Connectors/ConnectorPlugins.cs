using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;
using static TorchSharp.torch;

namespace Coin.Plugins.Connectors;

internal sealed class Mlp2xGeluOptions
{
    /// <summary>LLaVA's trained projector: a model folder in the original LLaVA layout (config.json with
    /// mm_projector_type mlp2x_gelu, the checkpoint holding model.mm_projector.*), or the mm_projector.bin its first
    /// stage saves; may use <c>${variables}</c>. Null: freshly initialised.</summary>
    public string? Path { get; set; }
}

[CoinPlugin(PluginKind.Connector, "mlp2x-gelu", "0.3.0", "LLaVA projector: Linear, GELU, Linear; loads LLaVA's mm_projector, and packs LLaVA-NeXT's tiles")]
internal sealed class Mlp2xGeluConnectorPlugin : PluginFactory<IConnector, Mlp2xGeluOptions>
{
    protected override IConnector Create(Mlp2xGeluOptions options, ComponentContext context)
    {
        string? path = options.Path is { } given ? context.ResolvePath(given) : null;
        // A LLaVA-NeXT folder's projector packs any-resolution tiles, as transformers runs it; so does a fresh one for
        // a tiled encoder.
        bool packs = path is not null ? LlavaProjector.PacksTiles(path) : context.Encoder is ITiledEncoder;
        if (packs != context.Encoder is ITiledEncoder)
            throw new CoinOptionException("path", packs
                ? $"{path} is LLaVA-NeXT or OneVision, whose projector packs any-resolution tiles: the image encoder must cut them (clip-vit's mode anyres)"
                : $"the image encoder cuts any-resolution tiles, but {path} is not a LLaVA-NeXT or OneVision folder: its projector does not pack them");
        nn.Module connector = packs
            ? new PackingMlp2xGeluConnector(ConnectorWidths.Input(context), ConnectorWidths.Output(context),
                context.Encoder is ITiledEncoder tiled ? tiled.LargestLayout.Tiles * tiled.TokensPerInput : 0)
            : new Mlp2xGeluConnector(ConnectorWidths.Input(context), ConnectorWidths.Output(context), context.Encoder?.TokensPerInput ?? 0);
        if (path is not null) LlavaProjector.LoadInto(connector, path, ConnectorWidths.Input(context));
        return (IConnector)connector;
    }
}

internal static class ConnectorWidths
{
    public static int Input(ComponentContext context)
        => context.Encoder?.OutputDim ?? throw new InvalidOperationException("a connector needs its encoder in the context");

    public static int Output(ComponentContext context)
        => context.Backbone?.HiddenSize ?? throw new InvalidOperationException("a connector needs the backbone in the context");
}
