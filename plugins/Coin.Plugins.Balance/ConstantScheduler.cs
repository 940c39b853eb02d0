using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using static TorchSharp.torch;

namespace Coin.Plugins.Balance;

/// <summary>Every group keeps its base learning rate (the host has already set it, schedule included): the baseline
/// the balance methods are compared against.</summary>
[CoinPlugin(PluginKind.BalanceScheduler, "constant", "0.1.0", "Constant per-component learning rates (baseline)")]
internal sealed class ConstantScheduler : IBalanceScheduler
{

}
