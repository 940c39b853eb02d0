using System.Diagnostics;
using System.Text.Json;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
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
    public string Run(Experiment experiment, PluginCatalog catalog)
    {
        var config = experiment.Config;
        var plan = ExperimentPlanner.Plan(experiment, catalog);
        var device = TorchRuntime.SelectDevice(config.Device);
        int threads = TorchRuntime.ConfigureThreads(config.Threads);
        string runDirectory = CreateRunDirectory(experiment.ResolvePath(config.Output), config.Name);
        console.MarkupLineInterpolated($"[bold]coin[/] {BuildInfo.Version} · device [bold]{device}[/] ({BuildInfo.TorchBackend} backend, TorchSharp {TorchRuntime.TorchSharpVersion}, {threads} threads) · seed {config.Seed}");
        console.MarkupLineInterpolated($"experiment {experiment.Source} → {runDirectory}");

        manual_seed(config.Seed);
        var context = new ComponentContext
        {
            Device = device,
            Seed = config.Seed,
            RunDirectory = runDirectory,
            ResolvePath = experiment.ResolvePath,
            Warn = message => console.MarkupLineInterpolated($"[yellow]warning:[/] {message}"),
        };
        using var run = ComposedExperiment.Create(plan, context);
        var tasks = run.Data.Tasks;
        var results = NewResults(experiment, plan, device, threads, tasks);
        var log = new StepLog();
        var trainer = new TaskTrainer(run, config.Training, log);
        var evaluation = config.Evaluation;
        var evaluator = new StreamEvaluator(run, evaluation.BatchSize, new Modeling.GenerationSettings(
            evaluation.MaxNewTokens, evaluation.Temperature, evaluation.TopP, evaluation.StopStrings, Seed: config.Seed));
        var testSets = new Dictionary<string, IReadOnlyList<Sample>>();
        IReadOnlyList<Sample> TestSamples(TaskInfo task) => testSets.TryGetValue(task.Name, out var s) ? s : testSets[task.Name] = run.Data.LoadTest(task);
        int testTotal = tasks.Sum(t => TestSamples(t).Count);
        console.MarkupLineInterpolated($"{tasks.Count} tasks: {string.Join(", ", tasks.Select(t => t.Name))}; trainable: {string.Join(", ", run.Model.TrainableGroups.Select(g => $"{g.Name} {g.Parameters.Sum(p => p.numel()):N0}"))} parameters");
        ReportExtraMemory(plan, run);

        if (config.Evaluation.ZeroShot)
        {
            var zeroShot = ConsoleProgress.Run(console, "evaluate zero-shot", testTotal, "samples", sink => evaluator.EvaluateAll(tasks, TestSamples, sink));
            results.ZeroShot = zeroShot.Select(s => s.Accuracy).ToArray();
            results.Scores.AddRange(tasks.Zip(zeroShot, (t, s) => new ScoreEntry("(zero-shot)", t.Name, s.Metric, s.Accuracy, s.Count)));
            console.MarkupLineInterpolated($"  zero-shot accuracy {string.Join("  ", tasks.Zip(zeroShot, (t, s) => $"{t.Name} {s.Accuracy:F1}"))}");
            Save(runDirectory, results, log);
        }

        try
        {
            foreach (var task in tasks)
            {
                var taskContext = new Abstractions.Training.TaskContext(task, run.Model, run.Data.LoadTrain(task));
                run.Continual.OnTaskStart(taskContext);
                var samples = taskContext.TrainSamples.Concat(run.Continual.ExtraTrainingSamples(taskContext)).ToList();
                var shuffle = new Random(unchecked(config.Seed * 31 + task.Index));
                var summary = ConsoleProgress.Run(console, $"train {task.Name}", TaskTrainer.StepsFor(samples.Count, config.Training), "steps",
                    sink => trainer.Train(task, samples, shuffle, sink));
                run.Continual.OnTaskEnd(taskContext);

                var clock = Stopwatch.StartNew();
                var scores = ConsoleProgress.Run(console, $"evaluate after {task.Name}", testTotal, "samples",
                    sink => evaluator.EvaluateAll(tasks, TestSamples, sink));
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
            // Ctrl+C: finished tasks are already in results.json; record why the rest is missing and stop.
            results.Status = "interrupted";
            results.FinishedUtc = DateTime.UtcNow;
            Save(runDirectory, results, log);
            console.MarkupLineInterpolated($"[yellow]interrupted[/] during '{Interruption.TaskName}'; results of finished tasks: {Path.Combine(runDirectory, "results.json")}");
            throw;
        }
        catch (CoinUserException e)
        {
            // A failure mid-stream (e.g. a diverging loss) keeps the finished rows and says why the run stopped.
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

    /// <summary>Says what the declared "extra-memory:Nx" capabilities cost for this model, before training starts.</summary>
    private void ReportExtraMemory(CompositionPlan plan, ComposedExperiment run)
    {
        long trainable = run.Model.TrainableGroups.Sum(g => g.Parameters.Sum(p => p.numel()));
        foreach (var component in plan.All())
            foreach (string capability in component.Plugin.Capabilities.Where(c => c.StartsWith(PluginCapabilities.ExtraMemoryPrefix, StringComparison.Ordinal)))
                if (double.TryParse(capability[PluginCapabilities.ExtraMemoryPrefix.Length..].TrimEnd('x'), System.Globalization.NumberStyles.Float,
                        System.Globalization.CultureInfo.InvariantCulture, out double multiple))
                    console.MarkupLineInterpolated($"  {component.KeyPath} '{component.Plugin.Name}' keeps {multiple:G}x the trainable parameters in float32: {multiple * trainable * 4 / 1048576.0:F1} MiB");
    }

    private static RunResults NewResults(Experiment experiment, CompositionPlan plan, Device device, int threads, IReadOnlyList<TaskInfo> tasks) => new()
    {
        Versions = new VersionInfo(BuildInfo.Version, CoinContract.Version, TorchRuntime.TorchSharpVersion, BuildInfo.TorchBackend),
        Name = experiment.Config.Name,
        Source = experiment.Source,
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
