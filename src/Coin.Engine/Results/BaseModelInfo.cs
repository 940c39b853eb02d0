namespace Coin.Engine.Results;

/// <summary>What the run started from: a base model trained on the source's first-stage data in this run, or loaded
/// from the cache where an earlier run with the same settings left it.</summary>
/// <param name="Instructions">The second stage (LLaVA's visual instruction tuning), when it ran.</param>
public sealed record BaseModelInfo(string Origin, string? CacheFolder, int Samples, int Steps, double FirstLoss, double FinalLoss, double Seconds,
    BaseStageInfo? Instructions = null);

/// <summary>What one stage of the base model trained on and how its loss went.</summary>
public sealed record BaseStageInfo(int Samples, int Steps, double FirstLoss, double FinalLoss, double Seconds);
