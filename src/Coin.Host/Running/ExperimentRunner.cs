using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Host.Checkpoints;
using Coin.Host.Composition;
using Coin.Host.Configuration;
using Coin.Host.Plugins;
using Coin.Host.Presentation;
using Coin.Host.Results;
using Coin.Host.Runtime;
using Spectre.Console;
using static TorchSharp.torch;

namespace Coin.Host.Running;

/// <summary>The run loop of DESIGN.md: per task, train, then evaluate every task of the stream (one row of the
/// accuracy matrix), then write results. Returns the run folder.</summary>
[Coin.Host.Cli.HostService]
public sealed class ExperimentRunner(IAnsiConsole console)
{
    public string Run(Experiment experiment, PluginCatalog catalog, ResumedRun? resumed = null)
    {
        var config = experiment.Config;
        var plan = ExperimentPlanner.Plan(experiment, catalog);
        var device = TorchRuntime.SelectDevice(config.Device);
        int threads = TorchRuntime.ConfigureThreads(config.Threads);
        var checkpoint = resumed is null ? null : RunCheckpoint.Read(resumed.Directory)
            ?? throw new CoinUserException($"--resume: '{resumed.Directory}' has no checkpoint: the run stopped before its first task started; start it again");
        string runDirectory = resumed?.Directory ?? CreateRunDirectory(experiment.ResolvePath(config.Output), config.Name);
        console.MarkupLineInterpolated($"[bold]coin[/] {BuildInfo.Version} · device [bold]{device}[/] ({BuildInfo.TorchBackend} backend, TorchSharp {TorchRuntime.TorchSharpVersion}, {threads} threads) · seed {config.Seed}");
        console.MarkupLineInterpolated($"experiment {experiment.Source} → {runDirectory}");
        if (checkpoint is not null)
            console.MarkupLineInterpolated($"resuming before step {checkpoint.Position.Step} of task {checkpoint.Position.TaskIndex + 1} from {checkpoint.Folder}");

        manual_seed(config.Seed);
        var context = new ComponentContext
        {
            Device = device,
            Seed = config.Seed,
            RunDirectory = runDirectory,
            ResolvePath = experiment.ResolvePath,
            Warn = message => console.MarkupLineInterpolated($"[yellow]warning:[/] {message}"),
        };
        var log = resumed is null ? new StepLog() : StepLog.ReadCsv(Path.Combine(runDirectory, "steps.csv"));
        // A resumed run gets its base model back from the cache (or retrains it identically); its rows are logged already.
        var baseStage = new BaseModelStage(config.Pretraining, resumed is null ? log : new StepLog(), experiment.ResolvePath, console, config.Seed);
        BaseModelInfo? baseModel = null;
        using var run = ComposedExperiment.Create(plan, context,
            (model, data) => baseModel = baseStage.Prepare(model, data, BaseModelKey(experiment, plan)),
            config.Training.PreparedCacheMiB * 1024L * 1024L);
        var tasks = run.Data.Tasks;
        var results = resumed?.Results ?? NewResults(experiment, plan, device, threads, tasks);
        results.BaseModel ??= baseModel;
        results.Status = "running";
        console.MarkupLineInterpolated($"base model: {DescribeBase(baseModel)}");
        if (resumed is null)
            AtomicFile.WriteAllText(Path.Combine(runDirectory, ResumedRun.ExperimentFileName), ResolvedConfig.WithoutNulls(results.Config).ToJsonString(ResolvedConfig.Json));

        var trainer = TaskTrainer.For(run, config.Training, log, config.Seed);
        var evaluation = config.Evaluation;
        var evaluator = new StreamEvaluator(run, evaluation.BatchSize, new Modeling.GenerationSettings(
            evaluation.MaxNewTokens, evaluation.Temperature, evaluation.TopP, evaluation.StopStrings, Seed: config.Seed));
        var testSets = new Dictionary<string, IReadOnlyList<Sample>>();
        IReadOnlyList<Sample> TestSamples(TaskInfo task) => testSets.TryGetValue(task.Name, out var s) ? s : testSets[task.Name] = run.Data.LoadTest(task);
        int testTotal = tasks.Sum(t => TestSamples(t).Count);
        // One row of the accuracy matrix, with every answer written to the stage's prediction file.
        IReadOnlyList<Abstractions.Training.TaskScore> EvaluateStage(string label, string stage)
        {
            var answers = new List<Abstractions.Training.Prediction>();
            var scores = ConsoleProgress.Run(console, label, testTotal, "samples", sink => evaluator.EvaluateAll(tasks, TestSamples, sink, answers));
            PredictionFile.Write(runDirectory, stage, answers);
            return scores;
        }
        console.MarkupLineInterpolated($"{tasks.Count} tasks: {string.Join(", ", tasks.Select(t => t.Name))}; trainable: {string.Join(", ", run.Model.TrainableGroups.Select(g => $"{g.Name} {g.Parameters.Sum(p => p.numel()):N0}"))} parameters");
        ReportExtraMemory(plan, run);
        var trainableByPart = ComponentNames.All.ToDictionary(c => c,
            c => run.Model.TrainableGroups.Where(g => g.Name == c).Sum(g => g.Parameters.Sum(p => p.numel())));
        var problems = CapabilityCheck.Problems(plan.All().Select(c => (c.KeyPath, c.Plugin.Name, c.Plugin.Capabilities)), trainableByPart,
            device.type == TorchSharp.DeviceType.CPU ? TorchRuntime.AvailableMemoryBytes() : null);
        if (problems.Count > 0) throw new CoinUserException($"{experiment.Source}: this combination cannot run:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", problems)}");

        if (config.Evaluation.ZeroShot && resumed is null)
        {
            var zeroShot = EvaluateStage("evaluate zero-shot", PredictionFile.ZeroShotStage);
            results.ZeroShot = zeroShot.Select(s => s.Accuracy).ToArray();
            results.Scores.AddRange(tasks.Zip(zeroShot, (t, s) => new ScoreEntry("(zero-shot)", t.Name, s.Metric, s.Accuracy, s.Count)));
            console.MarkupLineInterpolated($"  zero-shot accuracy {string.Join("  ", tasks.Zip(zeroShot, (t, s) => $"{t.Name} {s.Accuracy:F1}"))}");
            Save(runDirectory, results, log);
        }

        var components = new Dictionary<string, object> { ["continual"] = run.Continual, ["balance"] = run.Balance };
        if (checkpoint is not null)
        {
            RunCheckpoint.RestoreModel(checkpoint, run.Model);
            trainer.GlobalStep = checkpoint.Position.GlobalStep;
            log.DropFrom(tasks[checkpoint.Position.TaskIndex].Name, checkpoint.Position.GlobalStep);
        }
        try
        {
            for (int t = checkpoint?.Position.TaskIndex ?? 0; t < tasks.Count; t++)
            {
                var task = tasks[t];
                bool resuming = checkpoint is not null && t == checkpoint.Position.TaskIndex;
                var taskContext = new Abstractions.Training.TaskContext(task, run.Model, run.Data.LoadTrain(task));
                run.Continual.OnTaskStart(taskContext);
                if (resuming)
                    foreach (var (key, component) in components)
                        RunCheckpoint.RestoreComponent(checkpoint!, key, component, taskContext, (name, id) => FindSample(run.Data, name, id));
                var samples = taskContext.TrainSamples.Concat(run.Continual.ExtraTrainingSamples(taskContext)).ToList();
                int taskIndex = t;
                void Checkpoint(int step, TorchSharp.Modules.OptimizerHelper? optimizer, double seconds, double firstLoss)
                {
                    RunCheckpoint.Write(runDirectory, new CheckpointPosition(taskIndex, step, trainer.GlobalStep, seconds, firstLoss), run.Model, optimizer, components);
                    AtomicFile.WriteAllText(Path.Combine(runDirectory, "steps.csv"), log.ToCsv());
                }
                if (!resuming) Checkpoint(0, null, 0, double.NaN);
                var resumePoint = resuming
                    ? new TaskTrainer.ResumePoint(checkpoint!.Position.Step, checkpoint.OptimizerState, checkpoint.Position.TaskSeconds, checkpoint.Position.FirstLoss)
                    : null;
                int totalSteps = TaskTrainer.StepsFor(samples.Count, config.Training);
                var summary = ConsoleProgress.Run(console, $"train {task.Name}", totalSteps, "steps",
                    sink => trainer.Train(task, samples, unchecked(config.Seed * 31 + task.Index), sink, (step, optimizer, seconds, first) => Checkpoint(step, optimizer, seconds, first), resumePoint));
                // Training done, not yet folded in: a stop during evaluation resumes here, not mid-task.
                Checkpoint(totalSteps, null, summary.Seconds, summary.FirstLoss);
                run.Continual.OnTaskEnd(taskContext);

                var clock = Stopwatch.StartNew();
                var scores = EvaluateStage($"evaluate after {task.Name}", PredictionFile.AfterTaskStage(t, task.Name));
                results.AccuracyMatrix.Add(scores.Select(s => s.Accuracy).ToArray());
                results.Metrics = ContinualMetrics.Compute(results.AccuracyMatrix, results.ZeroShot);
                results.Scores.AddRange(tasks.Zip(scores, (t, s) => new ScoreEntry(task.Name, t.Name, s.Metric, s.Accuracy, s.Count)));
                results.Training.Add(new TrainingEntry(task.Name, samples.Count, summary.Steps, summary.FirstLoss, summary.FinalLoss,
                    summary.Seconds, clock.Elapsed.TotalSeconds));
                console.MarkupLineInterpolated($"  [green]{task.Name}[/]: {summary.Steps} steps, loss {summary.FirstLoss:F3} → {summary.FinalLoss:F3}, {summary.Seconds:F1}s; accuracy {string.Join("  ", tasks.Zip(scores, (t, s) => $"{t.Name} {s.Accuracy:F1}"))}");
                Save(runDirectory, results, log);
            }
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: the trainer saved a checkpoint at the step it stopped before; finished tasks are in results.json.
            results.Status = "interrupted";
            results.FinishedUtc = DateTime.UtcNow;
            Save(runDirectory, results, log);
            console.MarkupLineInterpolated($"[yellow]interrupted[/] during '{Interruption.TaskName}'; continue with: coin run --resume {runDirectory}");
            throw;
        }
        catch (CoinUserException e)
        {
            // A failure mid-stream (e.g. a diverging loss) keeps the finished rows and the last good checkpoint.
            results.Status = "failed: " + e.Message;
            results.FinishedUtc = DateTime.UtcNow;
            Save(runDirectory, results, log);
            throw;
        }

        results.Status = "completed";
        results.FinishedUtc = DateTime.UtcNow;
        Save(runDirectory, results, log);
        var plots = RunPlots.Write(runDirectory, results, log);
        AtomicFile.WriteAllText(Path.Combine(runDirectory, "report.md"), RunReport.Markdown(results, plots));
        console.Write(AccuracyMatrixTable.Build(results.Tasks, results.AccuracyMatrix, run.Evaluator.Metric));
        console.Write(AccuracyMatrixTable.Metrics(results.Metrics!));
        console.MarkupLineInterpolated($"results: {Path.Combine(runDirectory, "results.json")}; plots: {string.Join(", ", plots.Select(Path.GetFileName))}");
        return runDirectory;
    }

    /// <summary>A checkpointed sample (a replay buffer's) looked up again by task and id.</summary>
    private static Sample FindSample(ITaskStreamSource data, string taskName, string id)
    {
        var task = data.Tasks.FirstOrDefault(t => t.Name == taskName)
                   ?? throw new CoinUserException($"checkpoint: a saved sample belongs to task '{taskName}', which the data source no longer has");
        return data.LoadTrain(task).FirstOrDefault(s => s.Id == id)
               ?? throw new CoinUserException($"checkpoint: sample '{id}' of task '{taskName}' is no longer in the training data");
    }

    private static string DescribeBase(BaseModelInfo? info) => info switch
    {
        null => "none (components as created; the data source offers no first-stage data, or pretraining.epochs is 0)",
        { Origin: "cache" } => $"loaded from {info.CacheFolder} ({info.Steps} first-stage steps on {info.Samples} samples, loss {info.FirstLoss:F3} → {info.FinalLoss:F3})",
        _ => $"first stage trained: {info.Steps} steps on {info.Samples} samples, loss {info.FirstLoss:F3} → {info.FinalLoss:F3}, {info.Seconds:F1}s"
             + (info.CacheFolder is null ? "" : $"; cached in {info.CacheFolder}"),
    };

    /// <summary>Everything the base model depends on: its components with their options and plugin versions, the
    /// data source, the first stage's settings and the seed (not the adapter, which is applied afterwards).</summary>
    private static JsonNode BaseModelKey(Experiment experiment, CompositionPlan plan)
    {
        var resolved = ResolvedConfig.ToJson(experiment.Config, plan);
        var stage = resolved["pretraining"]!.DeepClone().AsObject();
        stage.Remove("cache");
        var model = resolved["model"]!.DeepClone().AsObject();
        model.Remove("adapter");
        return new JsonObject
        {
            ["seed"] = experiment.Config.Seed,
            ["model"] = model,
            ["data"] = resolved["data"]!.DeepClone(),
            ["pretraining"] = stage,
            ["plugins"] = new JsonArray(new[] { plan.Data, plan.Backbone, plan.Connector }.Concat(plan.Encoders.Values)
                .Select(c => (JsonNode)$"{c.Plugin.Name} {c.Plugin.Version}").ToArray()),
            ["torch"] = TorchRuntime.TorchSharpVersion,
        };
    }

    /// <summary>Says what the declared "extra-memory:Nx" capabilities cost for this model, before training starts.</summary>
    private void ReportExtraMemory(CompositionPlan plan, ComposedExperiment run)
    {
        long trainable = run.Model.TrainableGroups.Sum(g => g.Parameters.Sum(p => p.numel()));
        foreach (var component in plan.All())
            foreach (double multiple in component.Plugin.Capabilities.Select(CapabilityCheck.ExtraMemoryMultiple).Where(m => m > 0))
                console.MarkupLineInterpolated($"  {component.KeyPath} '{component.Plugin.Name}' keeps {multiple:G}x the trainable parameters in float32: {multiple * trainable * 4 / 1048576.0:F1} MiB");
    }

    private static RunResults NewResults(Experiment experiment, CompositionPlan plan, Device device, int threads, IReadOnlyList<TaskInfo> tasks) => new()
    {
        Versions = new VersionInfo(BuildInfo.Version, CoinContract.Version, TorchRuntime.TorchSharpVersion, BuildInfo.TorchBackend),
        Name = experiment.Config.Name,
        Source = experiment.Source,
        BaseDirectory = experiment.BaseDirectory,
        Seed = experiment.Config.Seed,
        Device = device.ToString(),
        Threads = threads,
        Config = ResolvedConfig.ToJson(experiment.Config, plan),
        Components = plan.All().Select(c => new ComponentInfo(c.KeyPath, PluginKinds.Display(c.Plugin.Kind!.Value), c.Plugin.Name, c.Plugin.Version, c.Plugin.Folder)).ToList(),
        Tasks = tasks.Select(t => t.Name).ToList(),
        AccuracyMatrix = [],
        Scores = [],
        Training = [],
        Status = "running",
        StartedUtc = DateTime.UtcNow,
    };

    private static void Save(string runDirectory, RunResults results, StepLog log)
    {
        AtomicFile.WriteAllText(Path.Combine(runDirectory, "results.json"), JsonSerializer.Serialize(results, ResolvedConfig.Json));
        AtomicFile.WriteAllText(Path.Combine(runDirectory, "steps.csv"), log.ToCsv());
        AtomicFile.WriteAllText(Path.Combine(runDirectory, "accuracy-matrix.csv"), AccuracyMatrixTable.ToCsv(results));
    }

    /// <summary>A new folder per run; an existing one is never reused, so earlier results are never overwritten.</summary>
    private static string CreateRunDirectory(string output, string name)
    {
        string stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss");
        for (int attempt = 1; ; attempt++)
        {
            string path = Path.Combine(output, attempt == 1 ? $"{name}-{stamp}" : $"{name}-{stamp}-{attempt}");
            if (Directory.Exists(path)) continue;
            try
            {
                Directory.CreateDirectory(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CoinUserException($"output: cannot create run folder '{path}': {e.Message}");
            }
            return path;
        }
    }
}
