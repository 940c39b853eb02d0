using Coin.Abstractions.Plugins;
using Coin.Engine.Composition;
using Coin.Engine.Configuration;
using Coin.Engine.Plugins;
using Microsoft.Extensions.Configuration;
using static TorchSharp.torch;

namespace Coin.Host.Benchmarks;

/// <summary>The default multimodal model (the built-in experiment's backbone, encoder, connector, adapter, scheduler and
/// updater) on a small mini-CoIN stream generated into a temporary folder, without the base-model stage.</summary>
public static class BenchModel
{
    public static (Experiment Experiment, ComposedExperiment Run) Compose(PluginCatalog catalog, int trainPerTask, string precision = "float32")
    {
        string cache = Path.Combine(Path.GetTempPath(), "coin-bench");
        var settings = new Dictionary<string, string?>
        {
            ["data:options:trainPerTask"] = trainPerTask.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["data:options:testPerTask"] = "16",
            ["data:options:pretrainSamples"] = "0",
            ["data:options:cacheDirectory"] = cache,
            ["pretraining:epochs"] = "0",
            ["training:precision"] = precision,
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var experiment = new ExperimentLoader(configuration, new ExperimentSource("(bench: built-in default model)", Directory.GetCurrentDirectory())).Load();
        var plan = ExperimentPlanner.Plan(experiment, catalog);
        manual_seed(0);
        var run = ComposedExperiment.Create(plan, new ComponentContext
        {
            Device = CPU, Seed = 0, RunDirectory = cache, ResolvePath = experiment.ResolvePath,
        }, preparedCacheBytes: experiment.Config.Training.PreparedCacheMiB * 1024L * 1024L);
        run.ApplyAdapter(Coin.Abstractions.Components.ComputePrecision.Parse(precision));
        return (experiment, run);
    }
}
