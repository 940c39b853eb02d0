using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;

namespace Coin.Plugins.Encoders.Vision;

[CoinPlugin(PluginKind.Encoder, "tiny-cnn", "0.3.0", "Three-layer CNN image encoder for CPU-sized experiments")]
public sealed class TinyCnnEncoderPlugin : PluginFactory<IEncoder, TinyCnnEncoderOptions>
{
    protected override IEncoder Create(TinyCnnEncoderOptions options, ComponentContext context) => new TinyCnnEncoder(options);
}
