using System.ComponentModel.DataAnnotations;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Nn.Training;
using static TorchSharp.torch;

namespace Coin.Plugins.Continual.Averaging;

internal sealed class LlacaOptions
{
    /// <summary>k in alpha = k (1 + |g_t|_1) / (|θ_t − ema|_1 · |g_t − g_{t−1}|_1).</summary>
    [Range(1e-9, 1e9)] public double K { get; set; } = 2.0;

    /// <summary>The fallback rate when alpha is not in (0, 1).</summary>
    [Range(1e-9, 1.0)] public double Alpha0 { get; set; } = 0.01;

    /// <summary>Tasks on which the adaptive EMA runs; empty means every task. On the others it is plain tuning. Each
    /// must be a task of the stream.</summary>
    [TaskNames] public List<string> Tasks { get; set; } = [];
}

/// <summary>LLaCA's adaptive EMA: after each optimiser step, per trainable tensor, a rate alpha from the gradient and
/// the distance to the average (see <see cref="Alpha"/>); the average replaces the live weights at task end. Norms
/// are computed in float32. The mean alpha, its spread over tensors, the share of tensors that fell back to alpha0 and
/// on which side (the formula at or above 1, or not a positive number) are logged per step.</summary>
/// <remarks>Each task starts the average afresh: nothing of the previous task's gradients is kept (they are cleared at
/// task start), the average becomes the weights after the task's first optimiser step, and that step's gradient is
/// the first "previous" one (that step blends nothing and logs no alpha); from the second step on, alpha blends. What
/// carries across tasks is the live model, which holds the previous task's average.</remarks>
[CoinPlugin(PluginKind.ContinualUpdater, "llaca", "0.2.2", "LLaCA: adaptive EMA of trainable parameters from gradients, written into the model at task end",
    Capabilities = [PluginCapabilities.ExtraMemoryPrefix + "2x", PluginCapabilities.FixedTrainableSet])]
internal sealed class LlacaUpdater(LlacaOptions options) : IContinualUpdater, ICheckpointable, IDisposable
{
    private ParameterSnapshot? average;
    private readonly List<Tensor> previousGradients = [];
    private bool active;
    private bool awaitingFirstStep;

    /// <summary>alpha = k (1 + gradNorm) / (paramDistance · gradChange); alpha0 when that is not in (0, 1), including a
    /// division by zero (the weights equal the average, or the gradient did not change).</summary>
    public static double Alpha(double k, double alpha0, double gradNorm, double paramDistance, double gradChange)
        => Usable(RawAlpha(k, gradNorm, paramDistance, gradChange)) is { } alpha ? alpha : alpha0;

    /// <summary>The formula before the fallback: +∞ on a division by zero, so that a fallback can be told apart as
    /// "the rate came out at or above 1" (the weights sit close to the average or the gradient barely changed) or
    /// "not a positive number".</summary>
    public static double RawAlpha(double k, double gradNorm, double paramDistance, double gradChange)
        => k * (1 + gradNorm) / (paramDistance * gradChange);

    private static double? Usable(double raw) => raw > 0 && raw < 1 ? raw : null;

    public void OnTaskStart(TaskContext context)
    {
        active = options.Tasks.Count == 0 || options.Tasks.Contains(context.Task.Name);
        if (average is null)
        {
            var parameters = context.Model.TrainableGroups.SelectMany(g => g.Parameters).ToList();
            average = new ParameterSnapshot(parameters);
            foreach (var p in parameters)
            {
                var zero = zeros(p.shape, dtype: ScalarType.Float32, device: p.device);
                zero.DetachFromDisposeScope();
                previousGradients.Add(zero);
            }
        }
        using (no_grad())
            foreach (var gradient in previousGradients) gradient.zero_();
        awaitingFirstStep = true;
    }

    public void AfterStep(StepContext context, Batch lastBatch)
    {
        if (!active) return;
        using var noGrad = no_grad();
        if (awaitingFirstStep)
        {
            awaitingFirstStep = false;
            average!.Reset();
            for (int i = 0; i < average.Count; i++)
                if (average.Live(i).grad is { } g) previousGradients[i].copy_(g.to_type(ScalarType.Float32));
            return;
        }
        double alphaSum = 0;
        int fallbacks = 0, fallbacksAboveOne = 0;
        var alphas = new List<double>(average!.Count);
        var rawLog10 = new List<double>(average.Count);
        for (int i = 0; i < average!.Count; i++)
        {
            var live = average.Live(i);
            if (live.grad is null) continue;
            using var scope = NewDisposeScope();
            var gradient = live.grad.to_type(ScalarType.Float32);
            double gradNorm = gradient.abs().sum().item<float>();
            double distance = (live.detach().to_type(ScalarType.Float32) - average.Copy(i)).abs().sum().item<float>();
            double change = (gradient - previousGradients[i]).abs().sum().item<float>();
            double raw = RawAlpha(options.K, gradNorm, distance, change);
            double? usable = Usable(raw);
            if (usable is null)
            {
                fallbacks++;
                if (raw >= 1) fallbacksAboveOne++;
            }
            double alpha = usable ?? options.Alpha0;
            if (double.IsFinite(raw) && raw > 0) rawLog10.Add(Math.Log10(raw));
            average.Blend(i, alpha);
            previousGradients[i].copy_(gradient);
            alphaSum += alpha;
            alphas.Add(alpha);
        }
        context.Log("llaca/alpha", alphaSum / Math.Max(1, average.Count));
        context.Log("llaca/fallback-share", fallbacks / (double)Math.Max(1, average.Count));
        // Which side the fallbacks fall on, and how far: the median over tensors of log10 of the formula's value
        // (0 is a rate of 1; 2 means the formula asked for 100).
        context.Log("llaca/fallback-above-one-share", fallbacksAboveOne / (double)Math.Max(1, average.Count));
        if (rawLog10.Count > 0)
        {
            rawLog10.Sort();
            context.Log("llaca/raw-alpha-log10-p50", Quantile(rawLog10, 0.5));
        }
        // How alpha spreads over the tensors, not only its mean: a mean near alpha0 can hide a few large rates.
        if (alphas.Count > 0)
        {
            alphas.Sort();
            context.Log("llaca/alpha-p10", Quantile(alphas, 0.1));
            context.Log("llaca/alpha-p50", Quantile(alphas, 0.5));
            context.Log("llaca/alpha-p90", Quantile(alphas, 0.9));
        }
    }

    /// <summary>The q-quantile of sorted values, linearly interpolated (numpy's default).</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        double position = q * (sorted.Count - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Count - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }

    public void OnTaskEnd(TaskContext context)
    {
        if (active && !awaitingFirstStep) average!.WriteIntoLive();
    }

    public void SaveState(ComponentState state)
    {
        average?.SaveTo(state, "average");
        CheckpointTensors.Save(state, "previous-gradient", previousGradients);
        state.Values["awaitingFirstStep"] = awaitingFirstStep;
    }

    /// <summary>After OnTaskStart of the resumed task (which created the average): the saved average, the previous
    /// gradients and whether the task's first step was still to come.</summary>
    public void LoadState(ComponentState state, TaskContext context)
    {
        average!.LoadFrom(state, "average");
        CheckpointTensors.CopyInto(state, "previous-gradient", previousGradients);
        awaitingFirstStep = state.Values["awaitingFirstStep"]?.GetValue<bool>()
            ?? throw new CoinUserException("the LLaCA state in this checkpoint was written by llaca 0.1.0, which started the average differently; resume it with that version or start the run again");
    }

    public void Dispose()
    {
        average?.Dispose();
        foreach (var t in previousGradients) t.Dispose();
        previousGradients.Clear();
    }
}
