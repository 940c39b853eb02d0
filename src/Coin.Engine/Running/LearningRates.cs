using Coin.Abstractions.Training;
using TorchSharp.Modules;

namespace Coin.Engine.Running;

/// <summary>Per-group learning rates over one AdamW optimiser whose param groups are in <paramref name="groups"/> order.</summary>
public sealed class LearningRates(TorchSharp.Modules.AdamW optimizer, IReadOnlyList<string> groups, IReadOnlyDictionary<string, double> baseRates) : ILearningRates
{
    /// <summary>The schedule's factor for the current step (1 when constant).</summary>
    public double ScheduleFactor { get; set; } = 1.0;

    public IReadOnlyList<string> Groups => groups;
    public double Base(string group) => baseRates[group] * ScheduleFactor;
    public double Get(string group) => optimizer.ParamGroups.ElementAt(IndexOf(group)).LearningRate;
    public void Set(string group, double learningRate) => optimizer.ParamGroups.ElementAt(IndexOf(group)).LearningRate = learningRate;

    private int IndexOf(string group)
    {
        for (int i = 0; i < groups.Count; i++) if (groups[i] == group) return i;
        throw new ArgumentException($"no parameter group '{group}'; groups: {string.Join(", ", groups)}");
    }

    public override string ToString() => string.Join(", ", groups.Select(g => $"{g}={Get(g):G3}"));
}
