namespace Coin.Abstractions.Plugins;

/// <summary>The extension points. A configuration section picks a plugin by kind and name.</summary>
public enum PluginKind
{
    /// <summary><see cref="Components.IBackbone"/>: the causal language model.</summary>
    Backbone,
    /// <summary><see cref="Components.IEncoder"/>: turns one modality's input into feature vectors.</summary>
    Encoder,
    /// <summary><see cref="Components.IConnector"/>: projects encoder features into the backbone's embedding space.</summary>
    Connector,
    /// <summary><see cref="Components.IAdapter"/>: decides what trains and what is injected.</summary>
    Adapter,
    /// <summary><see cref="Training.IBalanceScheduler"/>: per-component learning rates and auxiliary loss.</summary>
    BalanceScheduler,
    /// <summary><see cref="Training.IContinualUpdater"/>: hooks around the task stream against forgetting.</summary>
    ContinualUpdater,
    /// <summary><see cref="Training.IEvaluator"/>: scores generated answers.</summary>
    Evaluator,
    /// <summary><see cref="Data.ITaskStreamSource"/>: provides the tasks, their training and test samples.</summary>
    TaskStream,
}
