using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Engine.Checkpoints;
using Coin.Engine.Composition;
using Coin.Engine.Configuration;
using Coin.Engine.Journal;
using Coin.Engine.Results;

namespace Coin.Engine.Running;

/// <summary><c>coin evaluate RUN_DIR --stage S --shard i/n</c> and <c>--merge n</c>: one evaluation stage of a run
/// scored again in n parts (the pattern MCITlib uses across GPUs), from the weights the run kept for that stage
/// (<c>stages/S.safetensors</c>). Shard i answers the batches b with b mod n = i, so every batch holds the same samples
/// as in the run's own evaluation and every answer is the same; the merge scores the answers with the run's evaluator
/// and compares the scores with those results.json recorded.</summary>
public sealed class StageEvaluation(IRunObserver observer)
{
    /// <summary>One task's score from the merged shards beside the score the run recorded (null: none recorded).</summary>
    public sealed record MergedScore(string Task, string Metric, double Merged, double? Recorded);

    /// <summary>What a merge found: every task's two scores, and whether all are equal.</summary>
    public sealed record MergeResult(IReadOnlyList<MergedScore> Scores, bool Equal);

    public static string ShardFile(string runDirectory, string stage, int shard, int count)
        => Path.Combine(runDirectory, PredictionFile.Folder, $"{stage}.shard-{shard}-of-{count}.jsonl");

    /// <returns>The number of answers and the file they were written to.</returns>
    public (int Answered, string File) Shard(Experiment experiment, CompositionPlan plan, string runDirectory, string stage, int shard, int count, CancellationToken cancellation)
    {
        var config = experiment.Config;
        using var run = Restore(experiment, plan, runDirectory, stage, observer, cancellation);
        (int, string) answered = default;
        run.Naming(() => answered = ScoreShard(run, config, runDirectory, stage, shard, count, cancellation));
        return answered;
    }

    private (int, string) ScoreShard(ComposedExperiment run, ExperimentConfig config, string runDirectory, string stage, int shard, int count, CancellationToken cancellation)
    {
        var evaluator = StreamEvaluator.For(run, config.Evaluation, config.Seed, observer.Warning, cancellation);
        var text = new StringBuilder();
        int answered = 0;
        foreach (var task in run.Data.Tasks)
            foreach (var (index, prediction) in evaluator.Predict(task, run.Data.LoadTest(task), new NullProgress(), batch => batch % count == shard))
            {
                text.Append(JsonSerializer.Serialize(new { task = task.Name, index, question_id = prediction.Sample.Id, prediction = prediction.Output }, PredictionFile.Readable)).Append('\n');
                answered++;
            }
        string file = ShardFile(runDirectory, stage, shard, count);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        AtomicFile.WriteAllText(file, text.ToString());
        return (answered, file);
    }

    /// <summary>The model as it was scored at <paramref name="stage"/>: the run's base model (from the cache), its
    /// adapter, then the weights the run kept for that stage. Also what <c>coin export</c> starts from.</summary>
    public static ComposedExperiment Restore(Experiment experiment, CompositionPlan plan, string runDirectory, string stage, IRunObserver observer, CancellationToken cancellation)
    {
        string weights = Path.Combine(runDirectory, RunJournal.StagesFolder, stage + ".safetensors");
        if (!File.Exists(weights))
            throw new CoinUserException($"{weights} is missing: the run kept no weights for stage '{stage}' (stages it kept: {Kept(runDirectory)})");
        var config = experiment.Config;
        var (device, _) = RunComposer.Runtime(config);
        var run = RunComposer.Compose(experiment, plan, ExperimentRunner.ComponentContextFor(experiment, device, runDirectory, observer));
        Runtime.NativeAllocator.ChooseForThisProcess();
        try
        {
            run.Naming(() =>
            {
                new BaseModelStage(config.Pretraining, new StepLog(), experiment.ResolvePath, observer, config.Pretraining.SeedOf(config.Seed), cancellation).Prepare(run.Model, run.BaseData, BaseModelStage.Key(config, plan));
                RunComposer.ApplyAdapter(run, config);
                if (run.Adapter is Abstractions.Components.IAdapterLifecycle lifecycle) RestoreAdapter(run, lifecycle, plan, runDirectory, stage);
                ModelState.Load(run.Model, weights, complete: false);
            });
            return run;
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }

    /// <summary>An adapter that adds modules per task (O-LoRA, a LoRA bank) has frozen earlier ones and routing state
    /// that a stage's trainable weights do not hold: its state kept beside them rebuilds it, as at that stage, with
    /// the stage's task as the current one.</summary>
    private static void RestoreAdapter(ComposedExperiment run, Abstractions.Components.IAdapterLifecycle lifecycle, CompositionPlan plan, string runDirectory, string stage)
    {
        string file = RunJournal.StageAdapterFile(runDirectory, stage);
        if (run.Adapter is not ICheckpointable checkpointable || !File.Exists(file))
            throw new CoinUserException($"{file} is missing: model.adapter '{plan.Adapter.Plugin.Name}' changes from task to task, and the run kept " +
                                        $"no state of it for stage '{stage}' (runs before contract 2.1 kept only the trainable weights); run the stream again to score this stage");
        var tasks = run.Data.Tasks;
        // The zero-shot stage's adapter is the first task's, as applied before training.
        int index = Math.Max(0, TaskIndexOf(stage, tasks.Select(t => t.Name).ToList()));
        var context = new TaskContext(tasks[index], run.Model, []) { Stream = tasks };
        ComponentStateFiles.Load(Path.GetDirectoryName(file)!, RunJournal.StageAdapterKey(stage), JsonNode.Parse(Coin.Nn.Files.InputFile.ReadJsonText(file, Coin.Nn.Files.InputFile.Limits.State, "stage file"))!.AsObject(), checkpointable, context,
            (task, id) => throw new CoinUserException($"{file}: the adapter's state refers to sample '{id}' of task '{task}'; an adapter's stage state holds no samples"));
        run.Model.TrainableGroups = lifecycle.BeginTask(context);
    }

    public MergeResult Merge(Experiment experiment, CompositionPlan plan, string runDirectory, string stage, int count)
    {
        var (data, evaluator) = ComposedExperiment.CreateScoring(plan, ExperimentRunner.ComponentContextFor(experiment, TorchSharp.torch.CPU, runDirectory, observer));
        try
        {
            return Merge(data, evaluator, runDirectory, stage, count, observer.Warning);
        }
        finally
        {
            (evaluator as IDisposable)?.Dispose();
            (data as IDisposable)?.Dispose();
        }
    }

    private static MergeResult Merge(ITaskStreamSource data, IEvaluator evaluator, string runDirectory, string stage, int count, Action<string> warn)
    {
        var answers = new Dictionary<(string Task, int Index), string>();
        for (int shard = 0; shard < count; shard++)
        {
            string file = ShardFile(runDirectory, stage, shard, count);
            if (!File.Exists(file)) throw new CoinUserException($"{file} is missing: run coin evaluate {runDirectory} --stage {stage} --shard {shard}/{count} first");
            int line = 0;
            foreach (string row in File.ReadLines(file))
            {
                line++;
                try
                {
                    var json = JsonNode.Parse(row)!;
                    answers[(json["task"]!.GetValue<string>(), json["index"]!.GetValue<int>())] = json["prediction"]!.GetValue<string>();
                }
                catch (Exception e) when (e is JsonException or NullReferenceException or InvalidOperationException)
                {
                    throw new CoinUserException($"{file}: line {line} is not a shard answer ({e.Message})");
                }
            }
        }
        var results = RunJournal.ReadResults(runDirectory);
        string afterTask = StageTask(stage, results);
        var merged = new List<ScoredPrediction>();
        var rows = new List<MergedScore>();
        foreach (var task in data.Tasks)
        {
            var samples = data.LoadTest(task);
            var predictions = samples.Select((sample, i) => answers.TryGetValue((task.Name, i), out var output) ? new Prediction(sample, output)
                : throw new CoinUserException($"stage {stage}: no shard answered sample {i} ('{sample.Id}') of task '{task.Name}'; were the shards made with --shard i/{count}?")).ToList();
            var score = StreamEvaluator.Score(evaluator, task, predictions);
            merged.AddRange(StreamEvaluator.WithEachScore(evaluator, task, predictions, score, warn));
            var recorded = results.Scores.FirstOrDefault(s => s.AfterTask == afterTask && s.Task == task.Name);
            rows.Add(new MergedScore(task.Name, score.Metric, score.Accuracy, recorded?.Accuracy));
        }
        PredictionFile.Write(runDirectory, $"{stage}.merged", merged);
        return new MergeResult(rows, rows.All(r => r.Recorded == r.Merged));
    }

    /// <summary>The results.json label of a stage: "(zero-shot)" or the task's name.</summary>
    private static string StageTask(string stage, RunResults results)
        => TaskIndexOf(stage, results.Tasks) is int t and >= 0 ? results.Tasks[t] : "(zero-shot)";

    /// <summary>The index of the task a stage follows, -1 for the zero-shot stage.</summary>
    private static int TaskIndexOf(string stage, IReadOnlyList<string> tasks)
    {
        if (stage == PredictionFile.ZeroShotStage) return -1;
        for (int t = 0; t < tasks.Count; t++)
            if (PredictionFile.AfterTaskStage(t, tasks[t]) == stage) return t;
        throw new CoinUserException($"stage '{stage}' is not one of this run's: {PredictionFile.ZeroShotStage}, {string.Join(", ", tasks.Select((t, i) => PredictionFile.AfterTaskStage(i, t)))}");
    }

    private static string Kept(string runDirectory)
    {
        string folder = Path.Combine(runDirectory, RunJournal.StagesFolder);
        return Directory.Exists(folder)
            ? string.Join(", ", Directory.GetFiles(folder, "*.safetensors").Select(Path.GetFileNameWithoutExtension)
                .Where(name => !name!.EndsWith(RunJournal.StageAdapterSuffix, StringComparison.Ordinal)).Order())
            : "none";
    }
}
