namespace Coin.Engine.Running;

/// <summary>The per-task schedule: linear warmup over the first <c>warmupRatio</c> of the steps, then constant or
/// cosine decay to 0 at the last step (LLaVA's <c>cosine</c> with <c>warmup_ratio</c>).</summary>
public static class LearningRateSchedule
{
    /// <returns>The factor that multiplies each group's configured rate at zero-based <paramref name="step"/>.</returns>
    public static double Factor(string schedule, double warmupRatio, int step, int steps)
    {
        int warmup = (int)Math.Ceiling(warmupRatio * steps);
        if (step < warmup) return (step + 1.0) / warmup;
        if (schedule != "cosine") return 1.0;
        double progress = (step - warmup) / (double)Math.Max(1, steps - warmup);
        return 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
