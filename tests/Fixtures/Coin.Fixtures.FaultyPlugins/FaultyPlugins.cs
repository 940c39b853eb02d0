using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;

namespace Coin.Fixtures.FaultyPlugins;

/// <summary>Scores everything as correct: a plugin that works, beside the broken ones in this folder.</summary>
public sealed class AlwaysRight : IEvaluator
{
    public string Metric => "always-right";
    public TaskScore Evaluate(TaskInfo task, IReadOnlyList<Prediction> predictions) => new(Metric, 100, predictions.Count);
}

[CoinPlugin(PluginKind.Evaluator, "always-right", "1.0.0", "Fixture: works")]
public sealed class AlwaysRightPlugin : PluginFactory<IEvaluator, NoOptions>
{
    protected override IEvaluator Create(NoOptions options, ComponentContext context) => new AlwaysRight();
}

[CoinPlugin(PluginKind.Evaluator, "throws-in-constructor", "1.0.0", "Fixture: its constructor throws")]
public sealed class ThrowingPlugin : PluginFactory<IEvaluator, NoOptions>
{
    public ThrowingPlugin() => throw new InvalidOperationException("fixture constructor failure");
    protected override IEvaluator Create(NoOptions options, ComponentContext context) => new AlwaysRight();
}

/// <summary>Pretends to be built against a future contract.</summary>
[CoinPlugin(PluginKind.Evaluator, "future-contract", "1.0.0", "Fixture: built for contract 2.0", contractVersion: "2.0")]
public sealed class FutureContractPlugin : PluginFactory<IEvaluator, NoOptions>
{
    protected override IEvaluator Create(NoOptions options, ComponentContext context) => new AlwaysRight();
}

/// <summary>Declares itself an encoder but creates an evaluator.</summary>
[CoinPlugin(PluginKind.Encoder, "wrong-kind", "1.0.0", "Fixture: kind and component type disagree")]
public sealed class WrongKindPlugin : PluginFactory<IEvaluator, NoOptions>
{
    protected override IEvaluator Create(NoOptions options, ComponentContext context) => new AlwaysRight();
}
