using System.Collections;
using System.Reflection;

namespace Coin.Engine.Configuration;

/// <summary>The <c>COIN_*</c> environment variables that are configuration: <c>COIN_TRAINING__EPOCHS=2</c> sets
/// <c>training.epochs</c>. A variable whose first key is no top-level configuration key (e.g. <c>COIN_API_TOKEN</c>,
/// set for something else) is ignored with a warning instead of stopping every command; messages about a value that
/// came from the environment name the variable.</summary>
public sealed class EnvironmentLayer
{
    public const string Prefix = "COIN_";

    private EnvironmentLayer(IReadOnlyDictionary<string, string?> values, IReadOnlyDictionary<string, string> variables, IReadOnlyList<string> ignored)
    {
        Values = values;
        VariableOf = variables;
        Ignored = ignored;
    }

    /// <summary>Configuration keys (':' between levels) and their values.</summary>
    public IReadOnlyDictionary<string, string?> Values { get; }

    /// <summary>Dotted key path (lower case) → the variable that set it.</summary>
    public IReadOnlyDictionary<string, string> VariableOf { get; }

    /// <summary>Variables that look like ours but name no configuration key.</summary>
    public IReadOnlyList<string> Ignored { get; }

    /// <summary>COIN_* variables that are no configuration key: the cache's root (Caching.UserCache) and the native
    /// allocator (Runtime.CachingAllocator, chosen before the configuration is read).</summary>
    private static readonly HashSet<string> NotConfiguration = new(StringComparer.OrdinalIgnoreCase)
        { Caching.UserCache.HomeVariable, Runtime.CachingAllocator.ChoiceVariable };

    public static readonly IReadOnlySet<string> TopLevelKeys = typeof(ExperimentConfig)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);

    public static EnvironmentLayer Read(IDictionary? environment = null)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var variables = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var ignored = new List<string>();
        foreach (DictionaryEntry entry in environment ?? Environment.GetEnvironmentVariables())
        {
            string name = (string)entry.Key;
            if (!name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) || name.Length == Prefix.Length) continue;
            if (NotConfiguration.Contains(name)) continue;
            string key = name[Prefix.Length..].Replace("__", ":", StringComparison.Ordinal);
            if (!TopLevelKeys.Contains(key.Split(':')[0]))
            {
                ignored.Add(name);
                continue;
            }
            values[key] = (string?)entry.Value;
            variables[key.Replace(':', '.').ToLowerInvariant()] = name;
        }
        return new EnvironmentLayer(values, variables, ignored.Order(StringComparer.Ordinal).ToList());
    }

    /// <summary>A configuration error with the variable named when the key it is about came from the environment.</summary>
    public string Annotate(string error)
        => ErrorKeys.SourceOf(error, VariableOf) is { } variable ? $"{error} (from the environment variable {variable})" : error;
}
