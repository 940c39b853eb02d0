using Coin.Abstractions.Plugins;

namespace Coin.Engine.Plugins;

/// <summary>A plugin's capability strings (<see cref="CoinPluginAttribute.Capabilities"/>, which an attribute can only
/// hold as constants) read into the typed values the host's checks use. What the host does not
/// check, or cannot read (<c>"extra-memory:lots"</c>), is kept with the reason and warned of before a run.</summary>
public sealed record DeclaredCapabilities(
    double ExtraMemoryMultiple,
    IReadOnlyList<string> RequiresTrainable,
    bool NeedsTrainableParameters,
    bool FixedTrainableSet,
    bool DifferentiatesForward,
    IReadOnlyList<(string Capability, string Why)> Ignored)
{
    public static readonly DeclaredCapabilities None = Parse([]);

    public static DeclaredCapabilities Parse(IEnumerable<string> declared)
    {
        double extraMemory = 0;
        var requires = new List<string>();
        var ignored = new List<(string, string)>();
        bool needsParameters = false, fixedSet = false, differentiates = false;
        foreach (string capability in declared)
        {
            if (capability == PluginCapabilities.NeedsTrainableParameters) needsParameters = true;
            else if (capability == PluginCapabilities.FixedTrainableSet) fixedSet = true;
            else if (capability == PluginCapabilities.DifferentiatesForward) differentiates = true;
            else if (capability.StartsWith(PluginCapabilities.RequiresTrainablePrefix, StringComparison.Ordinal))
                requires.Add(capability[PluginCapabilities.RequiresTrainablePrefix.Length..]);
            else if (capability.StartsWith(PluginCapabilities.ExtraMemoryPrefix, StringComparison.Ordinal))
            {
                if (PluginCapabilities.ExtraMemoryMultiple(capability) is { } n) extraMemory += n;
                else ignored.Add((capability, $"which the host cannot read (expected {PluginCapabilities.ExtraMemoryPrefix}Nx, N ≥ 0)"));
            }
            else ignored.Add((capability, "which the host does not check"));
        }
        return new DeclaredCapabilities(extraMemory, requires, needsParameters, fixedSet, differentiates, ignored);
    }
}
