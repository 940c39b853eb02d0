using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using TorchSharp.Modules;
using Coin.Nn.Training;
using static TorchSharp.torch;

namespace Coin.Plugins.Balance.Commit;

/// <summary>CoMMIT's coordinated learning rates, optionally with its auxiliary term. Every <c>measureEvery</c> steps it
/// measures κ (see <see cref="BalanceFormulas.Kappa"/>) on the step's batch from the weights before and after the
/// optimiser step, smooths it, and scales each side's rate for the following steps. With the auxiliary term, every step
/// adds −λ·w_side·∂KL(p_θ ‖ p_ref)/∂θ_side to each side's gradient: moving the output away from where it stood at the last
/// measurement is rewarded, more for the lagging side, so neither side's updates die out.</summary>
/// <remarks>Logged per step: <c>balance/kappa</c> (last measurement), <c>balance/kappa-smoothed</c>, the factors, the
/// gradient norms of both sides; per measurement the update norms and divergences; with the auxiliary term its KL.</remarks>
internal abstract class CommitScheduler(CommitOptions options, bool auxiliary) : IBalanceScheduler, ICheckpointable, IDisposable
{
    private double? smoothed;
    private double lastKappa = 0.5;
    private (double Feature, double Language) factors = (1, 1);
    private WeightSwap? pendingFeature, pendingLanguage;
    private WeightSwap? referenceFeature, referenceLanguage;
    private Tensor? referenceLogProbs;
    private List<Tensor>? auxiliaryGradients;
    private int auxiliaryCalls;

    public double? SmoothedKappa => smoothed;

    public void BeforeForward(StepContext context, Batch batch)
    {
        referenceLogProbs = null;
        if (!auxiliary || referenceFeature is null || referenceLanguage is null) return;
        // The reference is both sides as at the last measurement; the live weights come back also if the forward throws.
        var (feature, language) = (referenceFeature, referenceLanguage);
        referenceLogProbs = feature.WithBefore(() => language.WithBefore(() => AnswerDistribution.LogProbs(context.Model.Forward(batch)).detach()));
    }

    public Tensor? ExtraLoss(StepContext context, Batch batch, ModelOutput output)
    {
        if (referenceLogProbs is null) return null;
        var feature = Sides.Feature(context.Model);
        var all = feature.Concat(Sides.Language(context.Model)).ToList();
        var divergence = AnswerDistribution.Kl(AnswerDistribution.LogProbs(output), referenceLogProbs);
        var gradients = autograd.grad([divergence], all.Cast<Tensor>().ToList(), retain_graph: true, allow_unused: true);
        var (wFeature, wLanguage) = BalanceFormulas.AuxiliaryWeights(smoothed ?? 0.5);
        auxiliaryGradients ??= all.Select(p => { var z = zeros_like(p); z.DetachFromDisposeScope(); return z; }).ToList();
        using (no_grad())
            for (int i = 0; i < all.Count; i++)
                if (gradients[i] is { IsInvalid: false } g)
                    auxiliaryGradients[i].add_(g, alpha: -options.AuxiliaryWeight * (i < feature.Count ? wFeature : wLanguage));
        auxiliaryCalls++;
        context.Log("balance/auxiliary-kl", divergence.item<float>());
        // The term acts through the gradients added in AfterBackward (weighted per side), not through the loss.
        return null;
    }

    public void AfterBackward(StepContext context)
    {
        var feature = Sides.Feature(context.Model);
        var language = Sides.Language(context.Model);
        context.Log("balance/grad-norm/feature", GradientNorm(feature));
        context.Log("balance/grad-norm/language", GradientNorm(language));
        AddAuxiliaryGradients(feature.Concat(language).ToList());
        if (context.Step % options.MeasureEvery == 0)
        {
            pendingFeature = new WeightSwap(feature);
            pendingLanguage = new WeightSwap(language);
        }
        Sides.Scale(context.LearningRates, factors.Feature, factors.Language);
        context.Log("balance/factor/feature", factors.Feature);
        context.Log("balance/factor/language", factors.Language);
    }

    public void AfterStep(StepContext context, Batch lastBatch)
    {
        if (pendingFeature is not null && pendingLanguage is not null)
        {
            pendingFeature.CaptureAfter();
            pendingLanguage.CaptureAfter();
            var (dFeature, dLanguage) = OutputShift.Divergences(context.Model, lastBatch, pendingFeature, pendingLanguage);
            lastKappa = BalanceFormulas.Kappa(dFeature, dLanguage);
            smoothed = BalanceFormulas.Smooth(smoothed, lastKappa, options.Smoothing);
            factors = BalanceFormulas.Factors(smoothed.Value, options.Target, options.Strength, options.MinFactor, options.MaxFactor);
            context.Log("balance/divergence/feature", dFeature);
            context.Log("balance/divergence/language", dLanguage);
            context.Log("balance/update-norm/feature", pendingFeature.UpdateNorm());
            context.Log("balance/update-norm/language", pendingLanguage.UpdateNorm());
            // The weights before this step are the auxiliary term's reference until the next measurement.
            referenceFeature?.Dispose();
            referenceLanguage?.Dispose();
            (referenceFeature, referenceLanguage) = (pendingFeature, pendingLanguage);
            (pendingFeature, pendingLanguage) = (null, null);
        }
        context.Log("balance/kappa", lastKappa);
        context.Log("balance/kappa-smoothed", smoothed ?? 0.5);
    }

    private void AddAuxiliaryGradients(IReadOnlyList<Parameter> all)
    {
        if (auxiliaryGradients is null || auxiliaryCalls == 0) return;
        using var noGrad = no_grad();
        for (int i = 0; i < all.Count; i++)
        {
            var added = auxiliaryGradients[i] / auxiliaryCalls;
            if (all[i].grad is { } grad) grad.add_(added);
            else all[i].grad = added.clone().DetachFromDisposeScope();
            auxiliaryGradients[i].zero_();
        }
        auxiliaryCalls = 0;
    }

    private static double GradientNorm(IReadOnlyList<Parameter> parameters)
    {
        using var scope = NewDisposeScope();
        double squares = 0;
        foreach (var p in parameters)
            if (p.grad is { } g) squares += g.pow(2).sum().item<float>();
        return Math.Sqrt(squares);
    }

    public void SaveState(ComponentState state)
    {
        if (smoothed is { } s) state.Values["smoothed"] = s;
        state.Values["lastKappa"] = lastKappa;
        state.Values["featureFactor"] = factors.Feature;
        state.Values["languageFactor"] = factors.Language;
        var (feature, language) = (referenceFeature?.Before ?? [], referenceLanguage?.Before ?? []);
        for (int i = 0; i < feature.Count; i++) state.Tensors[$"reference.feature.{i}"] = feature[i];
        for (int i = 0; i < language.Count; i++) state.Tensors[$"reference.language.{i}"] = language[i];
    }

    public void LoadState(ComponentState state, TaskContext context)
    {
        smoothed = state.Values["smoothed"]?.GetValue<double>();
        lastKappa = state.Values["lastKappa"]!.GetValue<double>();
        factors = (state.Values["featureFactor"]!.GetValue<double>(), state.Values["languageFactor"]!.GetValue<double>());
        if (!state.Tensors.ContainsKey("reference.feature.0") && !state.Tensors.ContainsKey("reference.language.0")) return;
        referenceFeature?.Dispose();
        referenceLanguage?.Dispose();
        referenceFeature = Restore(state, "reference.feature", Sides.Feature(context.Model));
        referenceLanguage = Restore(state, "reference.language", Sides.Language(context.Model));
    }

    private static WeightSwap Restore(ComponentState state, string prefix, IReadOnlyList<Parameter> parameters)
    {
        var swap = new WeightSwap(parameters);
        var saved = Enumerable.Range(0, parameters.Count).Select(i => state.Tensors.TryGetValue($"{prefix}.{i}", out var t) ? t
            : throw new CoinUserException($"checkpoint: '{prefix}.{i}' is missing from the balance scheduler's state")).ToList();
        swap.LoadBefore(saved);
        return swap;
    }

    public void Dispose()
    {
        pendingFeature?.Dispose();
        pendingLanguage?.Dispose();
        referenceFeature?.Dispose();
        referenceLanguage?.Dispose();
        foreach (var g in auxiliaryGradients ?? []) g.Dispose();
    }
}

[CoinPlugin(PluginKind.BalanceScheduler, "commit-lr", "0.1.1", "CoMMIT's learning-rate coordination from the balance coefficient κ (no auxiliary loss)",
    Capabilities = [PluginCapabilities.RequiresTrainablePrefix + ComponentNames.Encoder, PluginCapabilities.RequiresTrainablePrefix + ComponentNames.Backbone,
        PluginCapabilities.ExtraMemoryPrefix + "2x", PluginCapabilities.FixedTrainableSet])]
internal sealed class CommitLrScheduler(CommitOptions options) : CommitScheduler(options, auxiliary: false);

[CoinPlugin(PluginKind.BalanceScheduler, "commit", "0.1.2", "CoMMIT: coordinated learning rates from κ plus the auxiliary term that keeps both sides learning",
    Capabilities = [PluginCapabilities.RequiresTrainablePrefix + ComponentNames.Encoder, PluginCapabilities.RequiresTrainablePrefix + ComponentNames.Backbone,
        PluginCapabilities.ExtraMemoryPrefix + "3x", PluginCapabilities.FixedTrainableSet, PluginCapabilities.DifferentiatesForward])]
internal sealed class CommitAuxiliaryScheduler(CommitOptions options) : CommitScheduler(options, auxiliary: true);
