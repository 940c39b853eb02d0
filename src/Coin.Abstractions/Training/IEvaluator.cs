using Coin.Abstractions.Data;

namespace Coin.Abstractions.Training;

/// <summary>Scores a task's generated answers against its references.</summary>
public interface IEvaluator
{
    /// <summary>Name of the metric reported in tables, e.g. <c>"exact-match"</c>.</summary>
    string Metric { get; }

    /// <summary>Scores the predictions of one task. Called once per task per evaluation stage.</summary>
    TaskScore Evaluate(TaskInfo task, IReadOnlyList<Prediction> predictions);
}

/// <summary>Optional, for an evaluator whose task score is the mean of per-answer scores (exact match, CoIN's
/// per-task rules): each answer's own score, shown beside it in report.html's browser of predictions and written to
/// the prediction files. A metric over the whole set (CIDEr, BLEU) does not implement it. Contract 1.3.</summary>
/// <remarks>The host checks that the scores average to <see cref="IEvaluator.Evaluate"/>'s accuracy and leaves them
/// out (with a warning) when they do not.</remarks>
public interface IScoresEachAnswer
{
    /// <summary>One score per prediction, in percent (0 to 100), in the order given.</summary>
    IReadOnlyList<double> ScoreEach(TaskInfo task, IReadOnlyList<Prediction> predictions);
}

/// <summary>A generated answer for one test sample.</summary>
public sealed record Prediction(Sample Sample, string Output);

/// <summary>A task's score at one stage.</summary>
/// <param name="Metric">The primary metric's name: the one the accuracy matrix and the continual metrics use.</param>
/// <param name="Accuracy">The primary metric, in percent, 0 to 100.</param>
/// <param name="Count">Number of samples scored.</param>
public sealed record TaskScore(string Metric, double Accuracy, int Count)
{
    /// <summary>Further metrics of the same answers by name (e.g. BLEU-4, ROUGE-L and CIDEr beside a caption task's
    /// primary one, as CoIN++ and UCIT report several), each on the scale its papers use; empty when the evaluator has
    /// one. results.json, the reports and <c>coin compare</c> carry them. Added in contract 2.0.</summary>
    public IReadOnlyDictionary<string, double> Others { get; init; } = new Dictionary<string, double>();
}
