namespace Coin.Abstractions.Data;

/// <summary>One task of a stream.</summary>
/// <param name="Name">Short name used in tables and configuration, e.g. <c>"ScienceQA"</c>.</param>
/// <param name="Index">Zero-based position in the stream's order.</param>
/// <param name="Modalities">Modalities its samples use, e.g. <c>["image"]</c>.</param>
/// <param name="SuggestedMetric">The evaluator name the source suggests for it (CoIN's per-task metric), or null.</param>
public sealed record TaskInfo(string Name, int Index, IReadOnlyList<string> Modalities, string? SuggestedMetric = null);
