using System.Text.RegularExpressions;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Plugins.Adapters.Lora;

/// <summary>Finds the linear layers whose names match the target patterns and attaches a <see cref="LowRankLayer"/>.</summary>
public static class LowRankInjector
{
    /// <summary>A plain identifier (<c>q_proj</c>) matches the last component of a module's dotted name; anything
    /// else is a regular expression that must match the whole name (<c>model\.layers\.[0-3]\..*_proj</c>).</summary>
    public static bool Matches(string moduleName, string pattern)
        => Regex.IsMatch(pattern, "^[A-Za-z0-9_]+$")
            ? moduleName == pattern || moduleName.EndsWith("." + pattern, StringComparison.Ordinal)
            : Regex.IsMatch(moduleName, "^(?:" + pattern + ")$");

    public static List<LowRankLayer> Inject(nn.Module root, IReadOnlyList<string> patterns, int rank, double alpha, double dropout, int experts, bool gaussianA)
    {
        var layers = new List<LowRankLayer>();
        // Materialise first: registering submodules while enumerating would change the enumeration.
        var candidates = root.named_modules().Where(m => m.Item2 is Linear && !IsLowRankPart(m.Item1)).ToList();
        foreach (var (name, module) in candidates)
            if (patterns.Any(p => Matches(name, p)))
                layers.Add(new LowRankLayer(name, (Linear)module, rank, alpha, dropout, experts, gaussianA));
        return layers;
    }

    private static bool IsLowRankPart(string name)
        => name.EndsWith(".lora_A", StringComparison.Ordinal) || name.EndsWith(".lora_B", StringComparison.Ordinal) || name.EndsWith(".lora_router", StringComparison.Ordinal);
}
