using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;

namespace Coin.Engine.Plugins;

/// <summary>The contract type and display name of each plugin kind.</summary>
public static class PluginKinds
{
    public static Type ComponentType(PluginKind kind) => kind switch
    {
        PluginKind.Backbone => typeof(IBackbone),
        PluginKind.Encoder => typeof(IEncoder),
        PluginKind.Connector => typeof(IConnector),
        PluginKind.Adapter => typeof(IAdapter),
        PluginKind.BalanceScheduler => typeof(IBalanceScheduler),
        PluginKind.ContinualUpdater => typeof(IContinualUpdater),
        PluginKind.Evaluator => typeof(IEvaluator),
        PluginKind.TaskStream => typeof(ITaskStreamSource),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static string Display(PluginKind kind) => kind switch
    {
        PluginKind.BalanceScheduler => "balance",
        PluginKind.ContinualUpdater => "continual",
        PluginKind.TaskStream => "task-stream",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
