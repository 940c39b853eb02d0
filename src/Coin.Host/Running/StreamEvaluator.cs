using Coin.Abstractions.Data;
using Coin.Abstractions.Training;
using Coin.Host.Composition;
using Coin.Host.Modeling;
using static TorchSharp.torch;

namespace Coin.Host.Running;

/// <summary>Generates answers for every test sample of every task and scores them: one row of the accuracy matrix.</summary>
public sealed class StreamEvaluator(ComposedExperiment run, int batchSize, GenerationSettings generation, CancellationToken cancellation = default)
{
    /// <param name="saved">Receives every task's predictions, when given (the run writes them to its prediction files).</param>
    public IReadOnlyList<TaskScore> EvaluateAll(IReadOnlyList<TaskInfo> tasks, Func<TaskInfo, IReadOnlyList<Sample>> testSamples, IProgressSink progress,
        List<Prediction>? saved = null)
    {
        run.Model.SetTraining(false);
        var scores = new List<TaskScore>(tasks.Count);
        foreach (var task in tasks)
        {
            var samples = testSamples(task);
            var predictions = new List<Prediction>(samples.Count);
            for (int start = 0; start < samples.Count; start += batchSize)
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var chunk = samples.Skip(start).Take(batchSize).ToList();
                var outputs = TextGenerator.Generate(run.Model, chunk, generation);
                predictions.AddRange(chunk.Zip(outputs, (sample, output) => new Prediction(sample, output)));
                progress.Advance(chunk.Count, task.Name);
            }
            scores.Add(Score(task, predictions));
            saved?.AddRange(predictions);
        }
        return scores;
    }

    /// <summary>The evaluator's score; its exception names the plugin (the run then fails, keeping its finished rows).</summary>
    private TaskScore Score(TaskInfo task, List<Prediction> predictions)
    {
        try
        {
            return run.Evaluator.Evaluate(task, predictions);
        }
        catch (Exception e) when (e is not Abstractions.Plugins.CoinUserException and not OperationCanceledException and not OutOfMemoryException)
        {
            throw new Abstractions.Plugins.CoinUserException($"evaluation.evaluator: scoring task '{task.Name}' failed in the plugin: {e.GetType().Name}: {e.Message}", e);
        }
    }
}
