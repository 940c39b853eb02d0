using Coin.Abstractions.Plugins;
using Coin.Engine.Composition;
using Coin.Engine.Configuration;
using Coin.Engine.Plugins;
using Microsoft.Extensions.Configuration;
using static TorchSharp.torch;

namespace Coin.Tests.Support;

/// <summary>Composes an experiment inside the test process from configuration values, with the host's plugins.</summary>
public static class InProcessExperiment
{
    public static (Experiment Experiment, ComposedExperiment Run) Compose(IDictionary<string, string?> settings, int seed = 1, Action<string>? warn = null)
    {
        // In-process tests train on the small shapes stream unless they say otherwise.
        settings = new Dictionary<string, string?>(settings);
        settings.TryAdd("data:type", "shapes");
        settings.TryAdd("evaluation:evaluator:type", "exact-match");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var experiment = new ExperimentLoader(configuration, new ExperimentSource("in-process test", TestPaths.Root)).Load();
        var plan = ExperimentPlanner.Plan(experiment, PluginCatalog.Load([TestPaths.HostPlugins]));
        manual_seed(seed);
        var run = ComposedExperiment.Create(plan, new ComponentContext
        {
            Device = CPU,
            Seed = seed,
            RunDirectory = TestPaths.NewTemporaryDirectory("in-process"),
            ResolvePath = experiment.ResolvePath,
            Warn = warn ?? (_ => { }),
        });
        run.ApplyAdapter(Coin.Abstractions.Components.ComputePrecision.Parse(experiment.Config.Training.Precision));
        return (experiment, run);
    }
}
