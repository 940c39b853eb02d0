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

/// <summary>A generated answer for one test sample.</summary>
public sealed record Prediction(Sample Sample, string Output);

/// <summary>A task's score at one stage.</summary>
/// <param name="Metric">The evaluator's metric name.</param>
/// <param name="Accuracy">In percent, 0 to 100.</param>
/// <param name="Count">Number of samples scored.</param>
public sealed record TaskScore(string Metric, double Accuracy, int Count);
