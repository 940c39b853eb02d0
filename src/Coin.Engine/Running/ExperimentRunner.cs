using System.Globalization;
using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;
using Coin.Engine.Composition;
using Coin.Engine.Configuration;
using Coin.Engine.Journal;
using Coin.Engine.Plugins;
using Coin.Engine.Results;
using Coin.Engine.Runtime;
using static TorchSharp.torch;

namespace Coin.Engine.Running;

/// <summary>The run loop of docs/architecture.md, top to bottom: plan → compose → pre-flight check → run folder →
/// base model → adapter → check again → zero-shot row → per task (start, train, end, evaluate, record) → report.
/// Everything a run writes goes through its <see cref="RunJournal"/>; what it has to say goes to its
/// <see cref="IRunObserver"/> (the <c>coin</c> command's: console, TensorBoard, report files). Returns the run folder.</summary>
public sealed class ExperimentRunner(IRunObserver observer)
{
    /// <param name="runDirectory">Run into exactly this (absent or empty) folder instead of a new <c>{output}/{name}-{time}</c>.</param>
    public string Run(Experiment experiment, PluginCatalog catalog, ResumedRun? resumed = null, CancellationToken cancellation = default,
        IReadOnlyList<string>? pluginDirectories = null, string? runDirectory = null)
    {
        // Numbers in the run's files are written the same whatever the calling program's locale (the coin command
        // sets the invariant culture for its whole process; a notebook may run under de-DE).
        var (culture, uiCulture) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (CultureInfo.InvariantCulture, CultureInfo.InvariantCulture);
        try
        {
            return RunInvariant(experiment, catalog, resumed, cancellation, pluginDirectories, runDirectory);
        }
        finally
        {
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (culture, uiCulture);
        }
    }

    private string RunInvariant(Experiment experiment, PluginCatalog catalog, ResumedRun? resumed, CancellationToken cancellation,
        IReadOnlyList<string>? pluginDirectories, string? runDirectory)
    {
        var config = experiment.Config;
        var plan = ExperimentPlanner.Plan(experiment, catalog);
        var (device, threads) = RunComposer.Runtime(config);
        if (TorchRuntime.ContentionWarning(threads) is { } contention) observer.Warning(contention);
        string output = experiment.ResolvePath(config.Output);
        // A new run's folder is claimed before its components are created (they are told where it is) and removed
        // again if they cannot be created or the combination is refused: a failed start leaves nothing behind.
        using var journal = resumed is not null ? RunJournal.Open(resumed.Directory)
            : runDirectory is not null ? RunJournal.CreateAt(runDirectory, ExperimentFile(experiment, plan, pluginDirectories), Origin(experiment))
            : RunJournal.Create(output, config.Name, ExperimentFile(experiment, plan, pluginDirectories), Origin(experiment));
        ComposedExperiment? run = null;
        StreamSession session;
        try
        {
            var composing = System.Diagnostics.Stopwatch.StartNew();
            using (observer.Waiting("loading the components"))
                run = RunComposer.Compose(experiment, plan, ComponentContextFor(experiment, device, journal.Directory, observer));
            // Loading a large model takes minutes: say how long, and what it holds (docs/scale.md reads these lines).
            using (var process = System.Diagnostics.Process.GetCurrentProcess())
            {
                // A model that fills the machine trades allocation speed for memory (NativeAllocator says why).
                string allocator = NativeAllocator.ChooseFor(process.WorkingSet64, TorchRuntime.AvailableMemoryBytes());
                observer.Info($"components ready in {composing.Elapsed.TotalSeconds:F1} s; resident {process.WorkingSet64 / (double)(1L << 30):F2} GiB, peak so far {process.PeakWorkingSet64 / (double)(1L << 30):F2} GiB; allocator: {allocator}");
            }
            session = new StreamSession(observer, experiment, plan, run, journal, cancellation,
                journal.ResultsAtCheckpoint() ?? StreamSession.NewResults(experiment, plan, device, threads, run.Data.Tasks, journal.ExperimentSha256));
            Preflight.BeforeBaseStage(experiment.Source, plan, run, device, session.TrainsBaseModel, config.Training.ActivationCheckpointing);
            foreach (string warning in CapabilityCheck.Unchecked(plan.All().Select(c => (c.KeyPath, c.Plugin.Name, c.Plugin.Checked))))
                observer.Warning(warning);
        }
        catch (Exception)
        {
            run?.Dispose();
            if (resumed is null) journal.Discard();
            throw;
        }

        using (session)
        {
            session.Start(device, threads);
            // A component's mistake in its own options is named with its configuration key (CoinOptionException).
            session.Record(() => session.Run.Naming(() =>
            {
                session.PrepareBaseModel();
                RunComposer.ApplyAdapter(session.Run, config);
                Preflight.AfterAdapter(experiment.Source, plan, session.Run, device);
                session.PrepareTraining();
                session.DescribeTrainable();
                session.EvaluateZeroShot();
                for (int t = session.FirstTask; t < session.Tasks.Count; t++)
                {
                    var trained = session.TrainTask(t);
                    session.EvaluateAfterTask(trained);
                }
                session.Finish();
            }));
        }
        return journal.Directory;
    }

    /// <summary>The resolved configuration as an experiment file (what <c>--resume</c> runs again), with the plugin
    /// folders this run was given on the command line, so that the resumed run finds the same plugins.</summary>
    private static string ExperimentFile(Experiment experiment, CompositionPlan plan, IReadOnlyList<string>? pluginDirectories)
    {
        var json = ResolvedConfig.WithoutNulls(ResolvedConfig.ToJson(experiment.Config, plan)).AsObject();
        var directories = (pluginDirectories ?? []).Where(d => d != PluginDirectories.HostPluginsDirectory).Distinct().ToList();
        json["plugins"] = new System.Text.Json.Nodes.JsonObject
        {
            ["directories"] = new System.Text.Json.Nodes.JsonArray(directories.Select(d => (System.Text.Json.Nodes.JsonNode)d).ToArray()),
        };
        return json.ToJsonString(ResolvedConfig.Json);
    }

    private static ExperimentSource Origin(Experiment experiment) => new(experiment.Source, experiment.BaseDirectory);

    /// <summary>What every component's factory gets for a run in <paramref name="runDirectory"/>.</summary>
    public static ComponentContext ComponentContextFor(Experiment experiment, Device device, string runDirectory, IRunObserver observer) => new()
    {
        Device = device,
        Seed = experiment.Config.Seed,
        RunDirectory = runDirectory,
        AvailableMemoryBytes = device.type == TorchSharp.DeviceType.CPU ? TorchRuntime.AvailableMemoryBytes() : null,
        ResolvePath = experiment.ResolvePath,
        CacheDirectory = Caching.UserCache.Root,
        Warn = observer.Warning,
        Progress = message => observer.Info("  " + message),
    };
}
