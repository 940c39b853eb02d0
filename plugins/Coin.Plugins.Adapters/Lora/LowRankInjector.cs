using System.Text.RegularExpressions;
using Coin.Abstractions.Plugins;
using Coin.Nn.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Plugins.Adapters.Lora;

/// <summary>Finds the linear layers whose names match the target patterns and attaches a <see cref="LowRankLayer"/>.</summary>
internal static class LowRankInjector
{
    /// <summary>A plain identifier (<c>q_proj</c>) matches the last component of a module's dotted name; anything
    /// else is a regular expression that must match the whole name (<c>model\.layers\.[0-3]\..*_proj</c>).</summary>
    public static bool Matches(string moduleName, string pattern)
        => Regex.IsMatch(pattern, "^[A-Za-z0-9_]+$")
            ? moduleName == pattern || moduleName.EndsWith("." + pattern, StringComparison.Ordinal)
            : Regex.IsMatch(moduleName, "^(?:" + pattern + ")$");

    public static List<LowRankLayer> Inject(nn.Module root, IReadOnlyList<string> patterns, int rank, double alpha, double dropout, int experts, bool gaussianA,
        bool decomposed = false)
        => Inject(root, patterns, (name, linear) => new LowRankLayer(name, linear, rank, alpha, dropout, experts, gaussianA, decomposed));

    /// <summary>Attaches <paramref name="attach"/>'s update to every matching linear (LoRA, DoRA, MoELoRA, a per-task
    /// bank), by the module's dotted name.</summary>
    public static List<T> Inject<T>(nn.Module root, IReadOnlyList<string> patterns, Func<string, AutocastLinear, T> attach)
    {
        var layers = new List<T>();
        // Materialise first: registering submodules while enumerating would change the enumeration.
        var candidates = root.named_modules().Where(m => !IsLowRankPart(m.Item1) && patterns.Any(p => Matches(m.Item1, p))).ToList();
        foreach (var (name, module) in candidates)
        {
            if (module is AutocastLinear linear) layers.Add(attach(name, linear));
            else if (module is Linear)
                // Refused rather than skipped: a target that silently got no update would train a different model.
                throw new CoinOptionException("targetModules", $"'{name}' is a TorchSharp Linear; LoRA attaches to " +
                                            "Coin.Nn.Layers.AutocastLinear, which the built-in models use (build the model's linear layers with it)");
        }
        return layers;
    }

    private static bool IsLowRankPart(string name)
        => name.EndsWith(".lora_A", StringComparison.Ordinal) || name.EndsWith(".lora_B", StringComparison.Ordinal) || name.EndsWith(".lora_router", StringComparison.Ordinal)
           || name.Contains(".olora_", StringComparison.Ordinal);
}
