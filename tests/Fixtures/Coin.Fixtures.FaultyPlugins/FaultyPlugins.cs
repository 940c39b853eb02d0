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
[CoinPlugin(PluginKind.Evaluator, "future-contract", "1.0.0", "Fixture: built for contract 3.0", contractVersion: "3.0")]
public sealed class FutureContractPlugin : PluginFactory<IEvaluator, NoOptions>
{
    protected override IEvaluator Create(NoOptions options, ComponentContext context) => new AlwaysRight();
}

/// <summary>Pretends to be built against contract 1.3, before the training hooks.</summary>
[CoinPlugin(PluginKind.Evaluator, "old-contract", "1.0.0", "Fixture: built for contract 1.3", contractVersion: "1.3")]
public sealed class OldContractPlugin : PluginFactory<IEvaluator, NoOptions>
{
    protected override IEvaluator Create(NoOptions options, ComponentContext context) => new AlwaysRight();
}

/// <summary>Declares itself an encoder but creates an evaluator.</summary>
[CoinPlugin(PluginKind.Encoder, "wrong-kind", "1.0.0", "Fixture: kind and component type disagree")]
public sealed class WrongKindPlugin : PluginFactory<IEvaluator, NoOptions>
{
    protected override IEvaluator Create(NoOptions options, ComponentContext context) => new AlwaysRight();
}

/// <summary>Adds a NaN to the loss at the third step, as a diverging run would.</summary>
public sealed class NanAtThirdStep : IBalanceScheduler
{
    public TorchSharp.torch.Tensor? ExtraLoss(StepContext context, Batch batch, Coin.Abstractions.Components.ModelOutput output)
        => context.Step == 2 ? TorchSharp.torch.tensor(float.NaN) : null;

    public void AfterBackward(StepContext context)
    {
        foreach (var group in context.LearningRates.Groups) context.LearningRates.Set(group, context.LearningRates.Base(group));
    }

}

[CoinPlugin(PluginKind.BalanceScheduler, "nan-at-third-step", "1.0.0", "Fixture: the loss becomes NaN at step 2")]
public sealed class NanAtThirdStepPlugin : PluginFactory<IBalanceScheduler, NoOptions>
{
    protected override IBalanceScheduler Create(NoOptions options, ComponentContext context) => new NanAtThirdStep();
}

/// <summary>Zeroes the connector before every evaluation stage: a hook that changes the weights a stage is scored with.</summary>
public sealed class ZeroConnectorBeforeEvaluation : IBalanceScheduler
{
    public void BeforeEvaluation(EvaluationContext context)
    {
        using var noGrad = TorchSharp.torch.no_grad();
        foreach (var module in context.Model.ComponentModules(Coin.Abstractions.Components.ComponentNames.Connector))
            foreach (var parameter in module.parameters()) parameter.zero_();
    }
}

[CoinPlugin(PluginKind.BalanceScheduler, "zero-connector-before-evaluation", "1.0.0", "Fixture: zeroes the connector in BeforeEvaluation")]
public sealed class ZeroConnectorBeforeEvaluationPlugin : PluginFactory<IBalanceScheduler, NoOptions>
{
    protected override IBalanceScheduler Create(NoOptions options, ComponentContext context) => new ZeroConnectorBeforeEvaluation();
}

/// <summary>Rebuilt against contract 2.0 without renaming its 1.x hook: its AuxiliaryLoss would never be called.</summary>
public sealed class OldHookNames : IBalanceScheduler
{
    public TorchSharp.torch.Tensor? AuxiliaryLoss(StepContext context, Batch batch, Coin.Abstractions.Components.ModelOutput output) => null;
}

[CoinPlugin(PluginKind.BalanceScheduler, "old-hook-names", "1.0.0", "Fixture: a 1.x hook name left in a 2.0 plugin")]
public sealed class OldHookNamesPlugin : PluginFactory<IBalanceScheduler, NoOptions>
{
    protected override IBalanceScheduler Create(NoOptions options, ComponentContext context) => new OldHookNames();
}

/// <summary>A factory with a bug: it dereferences null when asked to create its component.</summary>
[CoinPlugin(PluginKind.Evaluator, "null-in-factory", "1.0.0", "Fixture: Create throws a NullReferenceException")]
public sealed class NullInFactoryPlugin : PluginFactory<IEvaluator, NoOptions>
{
    private static string? Missing(ComponentContext context) => context.Seed >= 0 ? null : "";

    protected override IEvaluator Create(NoOptions options, ComponentContext context)
    {
        int length = Missing(context)!.Length; // the bug
        return length >= 0 ? new AlwaysRight() : new AlwaysRight();
    }
}

/// <summary>An evaluator with a bug that shows only when it scores (mid-run, after a task trained).</summary>
public sealed class ThrowsWhenScoring : IEvaluator
{
    public string Metric => "throws";
    public TaskScore Evaluate(TaskInfo task, IReadOnlyList<Prediction> predictions) => throw new IndexOutOfRangeException("fixture scoring failure");
}

[CoinPlugin(PluginKind.Evaluator, "throws-when-scoring", "1.0.0", "Fixture: Evaluate throws")]
public sealed class ThrowsWhenScoringPlugin : PluginFactory<IEvaluator, NoOptions>
{
    protected override IEvaluator Create(NoOptions options, ComponentContext context) => new ThrowsWhenScoring();
}

/// <summary>Options of the factory-less fixtures below.</summary>
public sealed class PrefixOptions
{
    public string Prefix { get; set; } = "";
}

/// <summary>Contract 2.1: [CoinPlugin] on the component, constructed with its options and the component context
/// (in that order here, to show the order is free).</summary>
[CoinPlugin(PluginKind.Evaluator, "component-with-options", "1.0.0", "Fixture: no factory, options and context")]
public sealed class ComponentWithOptions(ComponentContext context, PrefixOptions options) : IEvaluator
{
    public string Metric => options.Prefix + "seed-" + context.Seed;
    public TaskScore Evaluate(TaskInfo task, IReadOnlyList<Prediction> predictions) => new(Metric, 100, predictions.Count);
}

[CoinPlugin(PluginKind.Evaluator, "odd-capabilities", "1.0.0", "Fixture: declares a capability the host cannot read and one it does not check",
    Capabilities = ["extra-memory:lots", "mergeable", "extra-memory:1x"])]
public sealed class OddCapabilities : IEvaluator
{
    public string Metric => "odd";
    public TaskScore Evaluate(TaskInfo task, IReadOnlyList<Prediction> predictions) => new(Metric, 0, predictions.Count);
}

[CoinPlugin(PluginKind.Evaluator, "component-open-generic", "1.0.0", "Fixture: an open generic class MEF cannot close")]
public sealed class OpenGenericComponent<T> : IEvaluator
{
    public string Metric => typeof(T).Name;
    public TaskScore Evaluate(TaskInfo task, IReadOnlyList<Prediction> predictions) => new(Metric, 0, predictions.Count);
}

[CoinPlugin(PluginKind.Evaluator, "component-without-options", "1.0.0", "Fixture: no factory, no options")]
public sealed class ComponentWithoutOptions : IEvaluator
{
    public string Metric => "plain";
    public TaskScore Evaluate(TaskInfo task, IReadOnlyList<Prediction> predictions) => new(Metric, 100, predictions.Count);
}

[CoinPlugin(PluginKind.Evaluator, "component-two-constructors", "1.0.0", "Fixture: which constructor is meant?")]
public sealed class ComponentWithTwoConstructors : IEvaluator
{
    public ComponentWithTwoConstructors() { }
    public ComponentWithTwoConstructors(PrefixOptions options) { }
    public string Metric => "two";
    public TaskScore Evaluate(TaskInfo task, IReadOnlyList<Prediction> predictions) => new(Metric, 100, predictions.Count);
}

[CoinPlugin(PluginKind.ContinualUpdater, "component-wrong-kind", "1.0.0", "Fixture: an evaluator declared as a continual method")]
public sealed class ComponentOfTheWrongKind : IEvaluator
{
    public string Metric => "wrong";
    public TaskScore Evaluate(TaskInfo task, IReadOnlyList<Prediction> predictions) => new(Metric, 100, predictions.Count);
}

[CoinPlugin(PluginKind.Evaluator, "component-string-parameter", "1.0.0", "Fixture: a constructor parameter that is no options class")]
public sealed class ComponentWithAStringParameter(string name) : IEvaluator
{
    public string Metric => name;
    public TaskScore Evaluate(TaskInfo task, IReadOnlyList<Prediction> predictions) => new(Metric, 100, predictions.Count);
}

[CoinPlugin(PluginKind.Evaluator, "component-throws", "1.0.0", "Fixture: its constructor refuses its options")]
public sealed class ComponentThatThrows : IEvaluator
{
    public ComponentThatThrows(PrefixOptions options) => throw new CoinUserException($"prefix '{options.Prefix}' is not allowed here");
    public string Metric => "never";
    public TaskScore Evaluate(TaskInfo task, IReadOnlyList<Prediction> predictions) => new(Metric, 100, predictions.Count);
}

/// <summary>Options of <see cref="TaskRecorder"/>.</summary>
public sealed class TaskRecorderOptions
{
    /// <summary>The task after whose end (its figures recorded, before the next checkpoint) the process kills itself,
    /// once per run folder.</summary>
    public string? KillAfterTaskEnd { get; set; }
}

/// <summary>Records a figure at each task's start and end through TaskContext.Record (contract 2.5), and can kill its
/// process right after a task's end: the window in which a plugin's own files would keep a row the resumed run writes
/// again.</summary>
[CoinPlugin(PluginKind.ContinualUpdater, "task-recorder", "1.0.0", "Fixture: records per-task figures; may kill the run after a task's end")]
public sealed class TaskRecorder(ComponentContext context, TaskRecorderOptions options) : IContinualUpdater
{
    public void OnTaskStart(TaskContext task) => task.Record("started", task.Task.Index);

    public void OnTaskEnd(TaskContext task)
    {
        task.Record("ended", task.Task.Index);
        task.Record("training samples", task.TrainSamples.Count);
        string marker = Path.Combine(context.RunDirectory, "fixture-killed-once");
        if (task.Task.Name != options.KillAfterTaskEnd || File.Exists(marker)) return;
        File.WriteAllText(marker, "");
        System.Diagnostics.Process.GetCurrentProcess().Kill();
    }
}
