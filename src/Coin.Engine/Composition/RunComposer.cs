using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;
using Coin.Engine.Configuration;
using Coin.Engine.Runtime;
using static TorchSharp.torch;

namespace Coin.Engine.Composition;

/// <summary>The composition sequence that a run, its plan and a restored stage (evaluation shards, export) share, in
/// one place: the device and threads, the components created under the base model's seed, then (after the base model
/// is ready) the adapter applied under its own seed and in the compute type. The seeds make a shared base model the
/// same whichever run trains it, and the adapter's initialisation independent of whether the base was trained or
/// loaded.</summary>
public static class RunComposer
{
    /// <summary>The device the experiment names and the libtorch thread count it asks for (set now).</summary>
    public static (Device Device, int Threads) Runtime(ExperimentConfig config)
        => (TorchRuntime.SelectDevice(config.Device), TorchRuntime.ConfigureThreads(config.Threads));

    /// <summary>Every component, created under the base model's seed, with the prepared-input cache the experiment sets.</summary>
    public static ComposedExperiment Compose(Experiment experiment, CompositionPlan plan, ComponentContext context)
    {
        var config = experiment.Config;
        manual_seed(config.Pretraining.SeedOf(config.Seed));
        return ComposedExperiment.Create(plan, context, config.Training.PreparedCacheMiB * 1024L * 1024L);
    }

    /// <summary>The adapter applied under its own seed, frozen weights stored in the training's compute type.</summary>
    public static void ApplyAdapter(ComposedExperiment run, ExperimentConfig config)
    {
        manual_seed(ComposedExperiment.AdapterSeed(config.Seed));
        run.ApplyAdapter(ComputePrecision.Parse(config.Training.Precision));
    }
}
