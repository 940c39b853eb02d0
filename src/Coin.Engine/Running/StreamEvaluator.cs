using Coin.Abstractions.Data;
using Coin.Abstractions.Training;
using Coin.Engine.Composition;
using Coin.Engine.Modeling;
using static TorchSharp.torch;

namespace Coin.Engine.Running;

/// <summary>Generates answers for every test sample of every task and scores them: one row of the accuracy matrix.</summary>
public sealed class StreamEvaluator(ComposedExperiment run, int batchSize, GenerationSettings generation, CancellationToken cancellation = default,
    bool taskAware = false)
{
    /// <summary>Whoever routes samples (contract 2.0's <see cref="Abstractions.Components.IRoutesSamples"/>): the adapter
    /// and the training hooks that do.</summary>
    private readonly IReadOnlyList<Abstractions.Components.IRoutesSamples> routers =
        [.. run.Hooks.Prepend<object>(run.Adapter).Distinct().OfType<Abstractions.Components.IRoutesSamples>()];

    /// <summary>The evaluator an experiment's <c>evaluation</c> section describes.</summary>
    /// <param name="warn">Where a warning goes (the run's observers).</param>
    public static StreamEvaluator For(ComposedExperiment run, Configuration.EvaluationConfig evaluation, int seed, Action<string> warn, CancellationToken cancellation = default)
        => new(run, evaluation.BatchSize, new GenerationSettings(evaluation.MaxNewTokens, evaluation.Temperature, evaluation.TopP, evaluation.StopStrings, Seed: seed,
            ComputeType: Abstractions.Components.ComputePrecision.Parse(evaluation.Precision)),
            cancellation, evaluation.Protocol == "task-aware") { Warn = warn };

    /// <summary>Where a warning goes.</summary>
    public Action<string> Warn { get; init; } = _ => { };

    /// <summary>A plugin whose per-answer scores disagree with its task score is named once per evaluator.</summary>
    private bool warnedOfEachScore;

    /// <param name="saved">Receives every task's predictions, when given (the run writes them to its prediction files).</param>
    public IReadOnlyList<TaskScore> EvaluateAll(IReadOnlyList<TaskInfo> tasks, Func<TaskInfo, IReadOnlyList<Sample>> testSamples, IProgressSink progress,
        List<Results.ScoredPrediction>? saved = null)
    {
        var scores = new List<TaskScore>(tasks.Count);
        foreach (var task in tasks)
        {
            var predictions = Predict(task, testSamples(task), progress).Select(p => p.Prediction).ToList();
            var score = Score(task, predictions);
            scores.Add(score);
            saved?.AddRange(WithEachScore(run.Evaluator, task, predictions, score, message =>
            {
                if (!warnedOfEachScore) Warn(message);
                warnedOfEachScore = true;
            }));
        }
        return scores;
    }

    /// <summary>The predictions with each answer's own score when the evaluator gives them (<see cref="IScoresEachAnswer"/>)
    /// and they average to the task's score; otherwise without (a plugin whose two disagree is named once).</summary>
    public static IEnumerable<Results.ScoredPrediction> WithEachScore(IEvaluator evaluator, TaskInfo task, IReadOnlyList<Prediction> predictions, TaskScore whole,
        Action<string> warn)
    {
        IReadOnlyList<double>? each = null;
        if (evaluator is IScoresEachAnswer scorer && predictions.Count > 0)
        {
            try
            {
                each = scorer.ScoreEach(task, predictions);
            }
            catch (Exception e) when (e is not Abstractions.Plugins.CoinUserException and not OperationCanceledException and not OutOfMemoryException)
            {
                throw new Abstractions.Plugins.CoinUserException($"evaluation.evaluator: scoring each answer of task '{task.Name}' failed in the plugin: {e.GetType().Name}: {e.Message}", e);
            }
            if (each.Count != predictions.Count || Math.Abs(each.Average() - whole.Accuracy) > 1e-6 * Math.Max(1, Math.Abs(whole.Accuracy)))
            {
                warn($"evaluation.evaluator '{evaluator.Metric}': its per-answer scores for task '{task.Name}' do not average to its task score " +
                                            $"({(each.Count == predictions.Count ? each.Average().ToString("F4") : $"{each.Count} scores for {predictions.Count} answers")} vs {whole.Accuracy:F4}); they are left out of the prediction files");
                each = null;
            }
        }
        return predictions.Select((p, i) => new Results.ScoredPrediction(p, each?[i]));
    }

    /// <summary>Answers for a task's test samples in batches of the configured size, each with its sample's index;
    /// with <paramref name="batchSelected"/> only those batches (a shard: batch composition, and so every answer, is
    /// the same as in a whole evaluation).</summary>
    public List<(int Index, Prediction Prediction)> Predict(TaskInfo task, IReadOnlyList<Sample> samples, IProgressSink progress, Func<int, bool>? batchSelected = null)
    {
        run.Model.SetTraining(false);
        var predictions = new List<(int, Prediction)>(samples.Count);
        for (int start = 0, batch = 0; start < samples.Count; start += batchSize, batch++)
        {
            if (batchSelected?.Invoke(batch) == false) continue;
            cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var chunk = samples.Skip(start).Take(batchSize).ToList();
            foreach (var router in routers) router.Route(new Abstractions.Components.RoutingContext(chunk, taskAware ? task : null, run.Model));
            var outputs = TextGenerator.Generate(run.Model, chunk, generation);
            predictions.AddRange(chunk.Zip(outputs, (sample, output) => new Prediction(sample, output)).Select((p, i) => (start + i, p)));
            progress.Advance(chunk.Count, task.Name);
        }
        return predictions;
    }

    /// <summary>The evaluator's score; its exception names the plugin (the run then fails, keeping its finished rows).</summary>
    public TaskScore Score(TaskInfo task, IReadOnlyList<Prediction> predictions) => Score(run.Evaluator, task, predictions);

    public static TaskScore Score(IEvaluator evaluator, TaskInfo task, IReadOnlyList<Prediction> predictions)
    {
        try
        {
            return evaluator.Evaluate(task, predictions);
        }
        catch (Exception e) when (e is not Abstractions.Plugins.CoinUserException and not OperationCanceledException and not OutOfMemoryException)
        {
            throw new Abstractions.Plugins.CoinUserException($"evaluation.evaluator: scoring task '{task.Name}' failed in the plugin: {e.GetType().Name}: {e.Message}", e);
        }
    }
}
