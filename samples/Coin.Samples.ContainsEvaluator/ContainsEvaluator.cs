using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;

namespace Coin.Samples.ContainsEvaluator;

/// <summary>Options bound from the <c>evaluation.evaluator.options</c> section.</summary>
public sealed class ContainsOptions
{
    /// <summary>Compare without regard to letter case.</summary>
    public bool IgnoreCase { get; set; } = true;
}

/// <summary>Counts a prediction as correct when it contains the reference answer — lenient scoring for models
/// that answer in a sentence.</summary>
/// <remarks>The attribute is the export the host discovers (kind, name used in configuration, version, description);
/// the host constructs the evaluator with its bound options, so no factory class is needed.</remarks>
[CoinPlugin(PluginKind.Evaluator, "contains", "1.0.0", "Sample third-party plugin: the answer appears in the prediction")]
public sealed class ContainsEvaluator(ContainsOptions options) : IEvaluator
{
    public string Metric => "contains";

    public TaskScore Evaluate(TaskInfo task, IReadOnlyList<Prediction> predictions)
    {
        var comparison = options.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        int correct = predictions.Count(p => p.Sample.Answer.Length > 0 && p.Output.Contains(p.Sample.Answer.Trim(), comparison));
        return new TaskScore(Metric, predictions.Count == 0 ? 0 : 100.0 * correct / predictions.Count, predictions.Count);
    }
}
