using System.ComponentModel.DataAnnotations;

namespace Coin.Plugins.Balance.Commit;

/// <summary>Options of <c>commit-lr</c> and <c>commit</c>. Defaults are our choices (the paper's constants were not
/// reachable): measure often enough to follow the balance within a few hundred steps, smooth over ~10 measurements,
/// move rates by at most 5x either way, and keep the auxiliary term small next to the task loss.</summary>
internal sealed class CommitOptions
{
    /// <summary>κ is measured every this many optimiser steps (three extra forward passes each time).</summary>
    [Range(1, 1_000_000)] public int MeasureEvery { get; set; } = 5;

    /// <summary>Weight of the previous smoothed κ in the exponential smoothing.</summary>
    [Range(0.0, 0.999)] public double Smoothing { get; set; } = 0.9;

    /// <summary>The balance the scheduler steers to: the feature side's share of the output's movement.</summary>
    [Range(0.01, 0.99)] public double Target { get; set; } = 0.5;

    /// <summary>Exponent γ of the rate factors (target/κ)^γ.</summary>
    [Range(0.0, 10.0)] public double Strength { get; set; } = 0.5;

    [Range(0.0, 1.0)] public double MinFactor { get; set; } = 0.2;
    [Range(1.0, 1000.0)] public double MaxFactor { get; set; } = 5.0;

    /// <summary>λ of the auxiliary term (<c>commit</c> only): −λ Σ_side w_side · KL(p_θ ‖ p_ref), where p_ref is the output
    /// with the weights of the last measurement; the side weights come from κ.</summary>
    [Range(0.0, 100.0)] public double AuxiliaryWeight { get; set; } = 0.1;
}
