using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;

namespace Coin.Plugins.Evaluation;

internal sealed class ExactMatchOptions
{
    /// <summary>Compare without regard to letter case (CoIN's GQA, VizWiz, VQAv2, OCR-VQA do).</summary>
    public bool IgnoreCase { get; set; } = true;

    /// <summary>Drop one trailing period from the prediction before comparing.</summary>
    public bool StripTrailingPeriod { get; set; } = true;
}

/// <summary>Accuracy = share of predictions equal to the reference answer after trimming whitespace.</summary>
[CoinPlugin(PluginKind.Evaluator, "exact-match", "0.2.0", "Exact match after trimming (case-insensitive by default)")]
internal sealed class ExactMatchEvaluator(ExactMatchOptions options) : IEvaluator, IScoresEachAnswer
{
    public string Metric => "exact-match";

    public TaskScore Evaluate(TaskInfo task, IReadOnlyList<Prediction> predictions)
    {
        if (predictions.Count == 0) return new TaskScore(Metric, 0, 0);
        int correct = predictions.Count(p => Matches(p.Output, p.Sample.Answer));
        return new TaskScore(Metric, 100.0 * correct / predictions.Count, predictions.Count);
    }

    public IReadOnlyList<double> ScoreEach(TaskInfo task, IReadOnlyList<Prediction> predictions)
        => predictions.Select(p => Matches(p.Output, p.Sample.Answer) ? 100.0 : 0.0).ToList();

    public bool Matches(string prediction, string reference)
    {
        string p = Normalise(prediction), r = Normalise(reference);
        return p.Length > 0 && string.Equals(p, r, options.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }

    private string Normalise(string text)
    {
        text = text.Trim();
        if (options.StripTrailingPeriod && text.EndsWith('.')) text = text[..^1].TrimEnd();
        return text;
    }
}
