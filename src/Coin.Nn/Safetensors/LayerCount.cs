using Coin.Abstractions.Plugins;

namespace Coin.Nn.Safetensors;

/// <summary>Checks a config's layer count against the numbered layers a weight file holds, before a model is built:
/// a count far beyond the files (10⁹) would otherwise spend hours building layers that no tensor can fill.</summary>
public static class LayerCount
{
    /// <summary>One more than the highest N among names <c>{prefix}N.…</c> (0 when none).</summary>
    public static int Held(IWeightSource weights, string prefix)
    {
        int held = 0;
        foreach (string name in weights.Names)
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            int dot = name.IndexOf('.', prefix.Length);
            if (dot > prefix.Length && int.TryParse(name.AsSpan(prefix.Length, dot - prefix.Length), System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture, out int index))
                held = Math.Max(held, index + 1);
        }
        return held;
    }

    /// <summary>Throws a <see cref="CoinUserException"/> naming <paramref name="configPath"/>, <paramref name="field"/>
    /// and what the weights hold unless they hold exactly <paramref name="expected"/> layers under
    /// <paramref name="prefix"/>.</summary>
    public static void Require(IWeightSource weights, string prefix, int expected, string configPath, string field)
    {
        int held = Held(weights, prefix);
        if (held == expected) return;
        string holds = held == 0 ? $"no {prefix}* tensor" : $"{held} layers ({prefix}0 to {prefix}{held - 1})";
        throw new CoinUserException($"{configPath}: {field} is {expected}, but {weights.Source} holds {holds}; the two must agree");
    }
}
