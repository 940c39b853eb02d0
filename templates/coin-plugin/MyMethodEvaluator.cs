using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;

namespace MyMethod;

/// <summary>Options bound from the experiment's <c>evaluation.evaluator.options</c> section.</summary>
public sealed class MyMethodOptions
{
    /// <summary>Compare without regard to letter case.</summary>
    public bool IgnoreCase { get; set; } = true;
}

/// <summary>A starting point: an answer is right when its first line equals the reference, trimmed. Replace the
/// comparison by your metric.</summary>
/// <remarks><see cref="IScoresEachAnswer"/> is optional: it puts each answer's verdict into the prediction files and
/// report.html. Leave it out for a metric over the whole set.
/// <para>[CoinPlugin] sits on the class itself: the kind, the name used in experiment files, the plugin's version
/// and a line for <c>coin plugins</c>. The host constructs it through its constructor, with the bound options (a
/// <c>ComponentContext</c> parameter may be added for the device, seed or run folder). Write a <c>PluginFactory</c>
/// only when creating the component takes more than that.</para>
/// </remarks>
[CoinPlugin(PluginKind.Evaluator, "my-method", "0.1.0", "First line equals the reference (from the coin-plugin template)")]
public sealed class MyMethodEvaluator(MyMethodOptions options) : IEvaluator, IScoresEachAnswer
{
    public string Metric => "my-method";

    public TaskScore Evaluate(TaskInfo task, IReadOnlyList<Prediction> predictions)
        => new(Metric, predictions.Count == 0 ? 0 : ScoreEach(task, predictions).Average(), predictions.Count);

    public IReadOnlyList<double> ScoreEach(TaskInfo task, IReadOnlyList<Prediction> predictions)
    {
        var comparison = options.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return predictions.Select(p => string.Equals(FirstLine(p.Output), p.Sample.Answer.Trim(), comparison) ? 100.0 : 0.0).ToList();
    }

    private static string FirstLine(string text) => text.Trim().Split('\n', 2)[0].Trim();
}
