using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using static TorchSharp.torch;

namespace Coin.Plugins.Continual;

/// <summary>Plain sequential fine-tuning: nothing is done against forgetting. The baseline of every comparison.</summary>
[CoinPlugin(PluginKind.ContinualUpdater, "sequential", "0.1.0", "Sequential fine-tuning, no protection against forgetting")]
internal sealed class SequentialUpdater : IContinualUpdater
{
}
