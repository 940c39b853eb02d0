namespace Coin.Plugins.Balance.Commit;

/// <summary>Every formula of the CoMMIT plugins in one place. The paper's exact constants were not available; what is
/// here is the form that fits its description, with each constant an option (see <see cref="CommitOptions"/>).</summary>
internal static class BalanceFormulas
{
    /// <summary>The balance coefficient κ = D_E / (D_E + D_L): D_E is how far the output distribution moved because of
    /// the feature side's update (KL of p(θ_E^t, θ_L^{t−1}) from p(θ_E^{t−1}, θ_L^{t−1})), D_L the same for the language
    /// side. 1: only the encoder side moves the output; 0: only the LLM; 0.5 when neither moved.</summary>
    public static double Kappa(double featureDivergence, double languageDivergence)
    {
        double total = featureDivergence + languageDivergence;
        return total > 0 ? featureDivergence / total : 0.5;
    }

    /// <summary>Exponential smoothing of κ across measurements (the first measurement starts it).</summary>
    public static double Smooth(double? previous, double kappa, double smoothing) => previous is { } p ? smoothing * p + (1 - smoothing) * kappa : kappa;

    /// <summary>Learning-rate factors (feature, language) from the smoothed κ: the side that moves the output less than
    /// the target share is raised, the other lowered — f_E = (target/κ)^γ, f_L = ((1−target)/(1−κ))^γ, each clipped to
    /// [min, max].</summary>
    public static (double Feature, double Language) Factors(double smoothedKappa, double target, double strength, double min, double max)
    {
        const double eps = 1e-6;
        double feature = Math.Pow(target / Math.Max(smoothedKappa, eps), strength);
        double language = Math.Pow((1 - target) / Math.Max(1 - smoothedKappa, eps), strength);
        return (Math.Clamp(feature, min, max), Math.Clamp(language, min, max));
    }

    /// <summary>Weights of the auxiliary term per side, from its learning state: the side that moves the output less
    /// (lagging) gets more of the reward for moving it — w_E = 1 − κ, w_L = κ.</summary>
    public static (double Feature, double Language) AuxiliaryWeights(double smoothedKappa) => (1 - smoothedKappa, smoothedKappa);
}
