using System.ComponentModel.DataAnnotations;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using static TorchSharp.torch;

namespace Coin.Plugins.Balance;

internal sealed class SideDecayOptions
{
    /// <summary>The decayed side's rate falls linearly over each task from its base to this share of it.</summary>
    [Range(0.0, 1.0)] public double FinalFactor { get; set; } = 0.1;
}

/// <summary>CoMMIT's baselines: one side's learning rate decays linearly within each task while the other keeps its
/// base rate — <c>feature-decay</c> slows the encoder and connector, <c>language-decay</c> the LLM (one subclass each).</summary>
internal abstract class SideDecayScheduler(SideDecayOptions options, bool decayFeature) : IBalanceScheduler
{
    public void AfterBackward(StepContext context)
    {
        double progress = context.StepsInTask <= 1 ? 0 : context.Step / (double)(context.StepsInTask - 1);
        double decayed = 1 - (1 - options.FinalFactor) * progress;
        Sides.Scale(context.LearningRates, decayFeature ? decayed : 1, decayFeature ? 1 : decayed);
    }
}

[CoinPlugin(PluginKind.BalanceScheduler, "feature-decay", "0.1.0", "Baseline: the encoder and connector's learning rate decays linearly within each task",
    Capabilities = [PluginCapabilities.RequiresTrainablePrefix + ComponentNames.Encoder])]
internal sealed class FeatureDecayScheduler(SideDecayOptions options) : SideDecayScheduler(options, decayFeature: true);

[CoinPlugin(PluginKind.BalanceScheduler, "language-decay", "0.1.0", "Baseline: the LLM's learning rate decays linearly within each task",
    Capabilities = [PluginCapabilities.RequiresTrainablePrefix + ComponentNames.Backbone])]
internal sealed class LanguageDecayScheduler(SideDecayOptions options) : SideDecayScheduler(options, decayFeature: false);
