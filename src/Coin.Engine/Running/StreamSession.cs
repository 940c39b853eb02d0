using System.Diagnostics;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Engine.Checkpoints;
using Coin.Engine.Composition;
using Coin.Engine.Configuration;
using Coin.Engine.Journal;
using Coin.Engine.Plugins;
using Coin.Engine.Results;
using Coin.Engine.Runtime;
using static TorchSharp.torch;

namespace Coin.Engine.Running;

/// <summary>One run of a stream, step by step, as <see cref="ExperimentRunner"/> calls it: each method is one stage
/// of the run loop, and every file it writes goes through the run's <see cref="RunJournal"/>.</summary>
internal sealed class StreamSession : IDisposable
{
    private readonly IRunObserver observer;
    private readonly Experiment experiment;
    private readonly CompositionPlan plan;
    private readonly RunJournal journal;
    private readonly CancellationToken cancellation;
    private readonly RunResults results;
    private readonly ResumeCursor cursor;
    private readonly ExperimentConfig config;
    private readonly Dictionary<string, IReadOnlyList<Sample>> testSets = [];
    private readonly IReadOnlyDictionary<string, object> components;
    private TaskTrainer? trainer;
    private StreamEvaluator? evaluator;
    private AnswerFormats? formats;
    /// <summary>Where step rows go: steps.csv, and the observers.</summary>
    private readonly IStepRecorder steps;
    private string stage = "start";

    public StreamSession(IRunObserver observer, Experiment experiment, CompositionPlan plan, ComposedExperiment run, RunJournal journal,
        CancellationToken cancellation, RunResults results)
    {
        this.observer = observer;
        this.experiment = experiment;
        this.plan = plan;
        Run = run;
        this.journal = journal;
        this.cancellation = cancellation;
        this.results = results;
        cursor = new ResumeCursor(journal.Checkpoint);
        config = experiment.Config;
        components = run.Stateful;
        steps = new ObservedSteps(journal.Steps, observer);
    }

    public ComposedExperiment Run { get; }
    public IReadOnlyList<TaskInfo> Tasks => Run.Data.Tasks;

    /// <summary>The task the stream continues with: 0, or the checkpoint's.</summary>
    public int FirstTask => cursor.FirstTask;

    public bool TrainsBaseModel => BaseModelStage.Runs(config.Pretraining, Run.BaseData);

    /// <summary>A resumed run's checkpoint checked against the data and its results; then its results marked as running
    /// (a restarted run begins with a clean record) and the run announced to the observers.</summary>
    public void Start(Device device, int threads)
    {
        cursor.Check(results, Tasks, ZeroShotLabel);
        results.Status = "running";
        journal.SaveResults(results);
        observer.Started(new RunStart(experiment.Source, journal.Directory, device.ToString(), threads, config.Seed, cursor.Resumed,
            config.Reporting.Tensorboard, results, journal.Steps.Path));
        // libtorch orders float sums by thread count: the resumed part would differ in its last digits.
        if (cursor.Resumed && (results.Threads != threads || results.Device != device.ToString()))
            observer.Warning($"the run started on {results.Device} with {results.Threads} threads and resumes on {device} with {threads}: from here on its figures differ in their last digits from an uninterrupted run (set threads in the experiment to pin the count)");
        if (cursor.Describe(Tasks.Count) is { } resuming) observer.Info(resuming);
    }

    /// <summary>Runs the stages, recording how the run ended: a signal as "interrupted" (the trainer saved a checkpoint
    /// at the step it stopped before), a failure as "failed: …", finished rows and the last good checkpoint kept.</summary>
    public void Record(Action stages)
    {
        try
        {
            stages();
        }
        catch (OperationCanceledException)
        {
            End("interrupted");
            observer.Interrupted(stage, journal.Directory);
            throw;
        }
        catch (CoinUserException e)
        {
            End("failed: " + e.Message);
            throw;
        }
        catch (IOException e)
        {
            // A full disk or a vanished folder: say where, keep what is there.
            string message = $"{journal.Directory}: writing the run failed during {stage} ({e.Message}); its finished rows and last complete checkpoint are kept";
            End("failed: " + message);
            throw new CoinUserException(message, e);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A defect (ours or a plugin's): the run is marked failed with it before the host reports it.
            End($"failed: {e.GetType().Name} during {stage}: {e.Message}");
            throw;
        }
    }

    private void End(string status)
    {
        results.Status = status;
        results.FinishedUtc = DateTime.UtcNow;
        try
        {
            journal.SaveResults(results);
        }
        catch (IOException)
        {
            // The disk may be what failed; results.json keeps its last complete version.
        }
    }

    public void PrepareBaseModel()
    {
        stage = "the base-model stage";
        // A resumed run's base-model rows are in the step log already (before the checkpoint's length).
        IStepRecorder recorder = cursor.Resumed ? new StepLog() : steps;
        var baseStage = new BaseModelStage(config.Pretraining, recorder, experiment.ResolvePath, observer, config.Pretraining.SeedOf(config.Seed), cancellation,
            config.Training.CheckpointEverySteps);
        var info = baseStage.Prepare(Run.Model, Run.BaseData, BaseModelStage.Key(config, plan));
        results.BaseModel ??= info;
        observer.Info($"base model: {DescribeBase(info)}");
    }

    public void DescribeTrainable()
    {
        observer.Info($"{Tasks.Count} tasks: {string.Join(", ", Tasks.Select(t => t.Name))}; trainable: {string.Join(", ", Run.Model.TrainableGroups.Select(g => $"{g.Name} {g.Parameters.Sum(p => p.numel()):N0}"))} parameters");
        long trainable = Run.Model.TrainableGroups.Sum(g => g.Parameters.Sum(p => p.numel()));
        if (Run.FrozenWeightsConverted > 0)
            observer.Info($"  mixed precision ({config.Training.Precision}): {Run.FrozenWeightsConverted:N0} frozen linear parameters stored in {config.Training.Precision}, trainable ones in float32");
        foreach (var component in plan.All())
            if (component.Plugin.Checked.ExtraMemoryMultiple is var multiple and > 0)
                observer.Info($"  {component.KeyPath} '{component.Plugin.Name}' keeps {multiple:G}x the trainable parameters in float32: {multiple * trainable * 4 / 1048576.0:F1} MiB");
    }

    /// <summary>The trainer and the evaluator of the stream, once the adapter is applied (what they train and score).</summary>
    public void PrepareTraining()
    {
        trainer = new TaskTrainer(Run.Model, Run.Hooks, config.Training, steps, config.Seed, cancellation) { Input = TaskTrainer.InputPipeline.Of(config.Data) };
        evaluator = StreamEvaluator.For(Run, config.Evaluation, config.Seed, observer.Warning, cancellation);
    }

    public void EvaluateZeroShot()
    {
        if (!config.Evaluation.ZeroShot || cursor.Resumed) return;
        var zeroShot = EvaluateStage("the zero-shot evaluation", "evaluate zero-shot", PredictionFile.ZeroShotStage, ZeroShotLabel, 0);
        results.ZeroShot = zeroShot.Select(s => s.Accuracy).ToArray();
        results.Scores.AddRange(Tasks.Zip(zeroShot, (t, s) => ScoreEntry.From(ZeroShotLabel, t.Name, s)));
        observer.ZeroShotEvaluated(results, zeroShot);
        journal.SaveResults(results);
    }

    /// <summary>The task's context for the component under <paramref name="key"/>: what it records goes to task-log.csv
    /// under its key, rolled back with the checkpoint (<see cref="Journal.TaskLogFile"/>). A resumed run calls a task's
    /// start hooks again to rebuild its components (<paramref name="replaying"/>); their rows from the first call are
    /// before every checkpoint of the task, so what they record again is dropped.</summary>
    private TaskContext Recording(TaskContext context, string key, bool replaying) => context with
    {
        Record = (name, value) =>
        {
            if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException($"{key}: TaskContext.Record needs a name for its figure", nameof(name));
            if (!replaying) journal.TaskLog.Add(context.Task.Name, key, name, value);
        },
    };

    /// <summary>The stage name of the zero-shot row in results.json's scores and answer formats.</summary>
    private const string ZeroShotLabel = "(zero-shot)";

    /// <summary>What training a task left for its evaluation.</summary>
    public sealed record TrainedTask(int Index, TaskContext Context, int Samples, TaskTrainer.Summary Summary);

    /// <summary>Task start (updater hooks, or the checkpoint's state when resuming into it), then its training.</summary>
    public TrainedTask TrainTask(int t)
    {
        var task = Tasks[t];
        stage = $"training '{task.Name}'";
        var resume = cursor.Into(t);
        bool replaying = resume is not null;
        var context = new TaskContext(task, Run.Model, Run.Data.LoadTrain(task)) { Stream = Tasks };
        // An adapter that changes per task rebuilds the earlier tasks' modules from its state, then adds this task's,
        // before the trainable weights are loaded into them (IAdapterLifecycle).
        if (components.ContainsKey(ComposedExperiment.AdapterKey)) resume?.RestoreComponent(ComposedExperiment.AdapterKey, Run.Adapter, context, FindSample);
        if (Run.Adapter is IAdapterLifecycle lifecycle) Run.Model.TrainableGroups = lifecycle.BeginTask(Recording(context, ComposedExperiment.AdapterKey, replaying));
        resume?.RestoreModel(Run.Model, trainer!);
        for (int h = 0; h < Run.Hooks.Count; h++) Run.Hooks[h].OnTaskStart(Recording(context, Run.HookKeys[h], replaying));
        foreach (var (key, component) in components.Where(c => c.Key != ComposedExperiment.AdapterKey))
            resume?.RestoreComponent(key, component, context, FindSample);
        var samples = context.TrainSamples.Concat(Run.Hooks.SelectMany((hook, h) => hook.ExtraTrainingSamples(Recording(context, Run.HookKeys[h], replaying)))).ToList();
        var checkpoints = new TaskCheckpoints(journal, t, trainer!, Run, components, results);
        int totalSteps = TaskTrainer.StepsFor(samples.Count, config.Training);
        if (resume is null) checkpoints.Write(TrainingPoint.Start, null);
        else resume.Check(task.Name, totalSteps, results.Training.Take(t).Sum(e => (long)e.Steps));
        Runtime.CachingAllocator.ReturnFreeMemory();
        var summary = observer.Phase($"train {task.Name}", totalSteps, "steps",
            sink => trainer!.Train(task, samples, unchecked(config.Seed * 31 + task.Index), sink, checkpoints, resume?.Point));
        // Trained, not yet folded in: a stop from here until the next task's start resumes here, not mid-task.
        if (resume?.Trained(totalSteps) != true)
            checkpoints.Write(new TrainingPoint(totalSteps, summary.Seconds, summary.FirstLoss, summary.FinalLoss, summary.InputSeconds), null);
        return new TrainedTask(t, context, samples.Count, summary);
    }

    /// <summary>Task end (e.g. the EMA written into the model), the evaluation of every task, one row recorded.</summary>
    public void EvaluateAfterTask(TrainedTask trained)
    {
        var task = Tasks[trained.Index];
        for (int h = 0; h < Run.Hooks.Count; h++) Run.Hooks[h].OnTaskEnd(Recording(trained.Context, Run.HookKeys[h], replaying: false));
        var clock = Stopwatch.StartNew();
        string stageName = PredictionFile.AfterTaskStage(trained.Index, task.Name);
        var scores = EvaluateStage($"the evaluation after '{task.Name}'", $"evaluate after {task.Name}", stageName, task.Name, trained.Index + 1);
        results.AccuracyMatrix.Add(scores.Select(s => s.Accuracy).ToArray());
        results.Metrics = ContinualMetrics.Compute(results.AccuracyMatrix, results.ZeroShot);
        results.Scores.AddRange(Tasks.Zip(scores, (t, s) => ScoreEntry.From(task.Name, t.Name, s)));
        var summary = trained.Summary;
        results.Training.Add(new TrainingEntry(task.Name, trained.Samples, summary.Steps, summary.FirstLoss, summary.FinalLoss,
            summary.Seconds, clock.Elapsed.TotalSeconds, summary.InputSeconds));
        long globalStep = results.Training.Sum(t => (long)t.Steps);
        observer.TaskEvaluated(new TaskEvaluation(task.Name, summary, scores, globalStep, results));
        journal.SaveResults(results);
    }

    /// <summary>A last checkpoint (only the report remains), then the report and plots, and only then "completed".</summary>
    public void Finish()
    {
        stage = "the report";
        if (!cursor.PastLastTask(Tasks.Count))
            journal.WriteCheckpoint(new CheckpointPosition(Tasks.Count, 0, trainer?.GlobalStep ?? 0, 0, double.NaN), Run.Model, null, components, results);
        results.Status = "completed";
        results.FinishedUtc = DateTime.UtcNow;
        var completion = new RunCompletion(journal.Directory, results, results.Training.Sum(t => (long)t.Steps), Run.Evaluator.Metric);
        observer.Completing(completion);
        journal.SaveResults(results);
        observer.Completed(completion);
    }

    /// <summary>One row of the accuracy matrix, with every answer written to the stage's prediction file.</summary>
    private IReadOnlyList<TaskScore> EvaluateStage(string what, string label, string stageName, string afterTask, int tasksTrained)
    {
        stage = what;
        var evaluation = new EvaluationContext(stageName, tasksTrained, Tasks, Run.Model);
        foreach (var hook in Run.Hooks) hook.BeforeEvaluation(evaluation);
        // Kept after the hooks: a hook that changes the weights for evaluation changes what coin evaluate --stage and
        // coin export start from too, so they score and export the model this stage scored.
        journal.WriteStageWeights(stageName, Run.Model, Run.Adapter);
        IReadOnlyList<Sample> TestSamples(TaskInfo task) => testSets.TryGetValue(task.Name, out var s) ? s : testSets[task.Name] = Run.Data.LoadTest(task);
        int total = Tasks.Sum(t => TestSamples(t).Count);
        var answers = new List<Results.ScoredPrediction>();
        // Generation's tensors have other sizes than training's: the free memory training kept goes back first.
        Runtime.CachingAllocator.ReturnFreeMemory();
        var scores = observer.Phase(label, total, "samples", sink => evaluator!.EvaluateAll(Tasks, TestSamples, sink, answers));
        journal.WritePredictions(stageName, answers);
        // Formats are read off every task's references once; each stage then says how many answers left their format.
        formats ??= new AnswerFormats(Tasks.Select(t => (t.Name, (IReadOnlyList<string>)TestSamples(t).Select(s => s.Answer).ToList())).ToList());
        var shares = formats.MeasureStage(Tasks.Select(t => t.Name).ToList(), answers.Select(a => a.Prediction).ToList());
        results.AnswerFormats.AddRange(Tasks.Zip(shares, (t, f) => new FormatEntry(afterTask, t.Name, f.Format, f.InOwnFormat, f.InOtherFormat, f.InNoFormat, f.ByFormat)));
        return scores;
    }

    /// <summary>A checkpointed sample (a replay buffer's) looked up again by task and id.</summary>
    private Sample FindSample(string taskName, string id)
    {
        var task = Run.Data.Tasks.FirstOrDefault(t => t.Name == taskName)
                   ?? throw new CoinUserException($"checkpoint: a saved sample belongs to task '{taskName}', which the data source no longer has");
        return Run.Data.LoadTrain(task).FirstOrDefault(s => s.Id == id)
               ?? throw new CoinUserException($"checkpoint: sample '{id}' of task '{taskName}' is no longer in the training data");
    }

    private static string DescribeBase(BaseModelInfo? info) => info switch
    {
        null => "none (components as created; the data source offers no first-stage data, or pretraining.epochs is 0)",
        { Origin: "cache" } => $"loaded from {info.CacheFolder} ({info.Steps} first-stage steps on {info.Samples} samples, loss {info.FirstLoss:F3} → {info.FinalLoss:F3}{DescribeSecond(info)})",
        _ => $"first stage trained: {info.Steps} steps on {info.Samples} samples, loss {info.FirstLoss:F3} → {info.FinalLoss:F3}{DescribeSecond(info)}, {info.Seconds:F1}s"
             + (info.CacheFolder is null ? "" : $"; cached in {info.CacheFolder}"),
    };

    private static string DescribeSecond(BaseModelInfo info) => info.Instructions is { } second
        ? $"; instruction stage {second.Steps} steps on {second.Samples} samples, loss {second.FirstLoss:F3} → {second.FinalLoss:F3}"
        : "";

    /// <summary>The record of a new run, before anything is trained.</summary>
    public static RunResults NewResults(Experiment experiment, CompositionPlan plan, Device device, int threads, IReadOnlyList<TaskInfo> tasks, string experimentSha256) => new()
    {
        Versions = new VersionInfo(BuildInfo.Version, CoinContract.Version, TorchRuntime.TorchSharpVersion, BuildInfo.TorchBackend),
        Name = experiment.Config.Name,
        Source = experiment.Source,
        BaseDirectory = experiment.BaseDirectory,
        Seed = experiment.Config.Seed,
        Device = device.ToString(),
        Threads = threads,
        Config = ResolvedConfig.ToJson(experiment.Config, plan),
        ExperimentSha256 = experimentSha256,
        Components = plan.All().Select(c => new ComponentInfo(c.KeyPath, PluginKinds.Display(c.Plugin.Kind!.Value), c.Plugin.Name, c.Plugin.Version, c.Plugin.Folder)).ToList(),
        Tasks = tasks.Select(t => t.Name).ToList(),
        AccuracyMatrix = [],
        Scores = [],
        Training = [],
        Status = "running",
        StartedUtc = DateTime.UtcNow,
    };

    public void Dispose()
    {
        try
        {
            observer.Closed();
        }
        finally
        {
            Run.Dispose();
        }
    }
}
