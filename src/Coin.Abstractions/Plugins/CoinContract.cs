namespace Coin.Abstractions.Plugins;

/// <summary>The version of the plugin contracts in this assembly. A plugin records the version it was compiled
/// against (through <see cref="CoinPluginAttribute"/>); the host loads it only when the major versions are equal
/// and the plugin's minor version is not newer than the host's.</summary>
public static class CoinContract
{
    /// <summary>"major.minor" of the contracts. Bump the major on any breaking change of a contract, the minor on an
    /// addition a plugin may rely on (so an older host refuses that plugin instead of misreading it).</summary>
    /// <remarks>2.1: <see cref="CoinPluginAttribute"/> may sit on the component itself, without a factory; the
    /// <see cref="PluginCapabilities.FixedTrainableSet"/> capability. 2.2: <see cref="Components.IActivationMemory"/>,
    /// activation memory estimates for the plan. 2.3: <see cref="TaskNamesAttribute"/>, options that name tasks are
    /// checked against the stream. 2.4: <see cref="ComponentContext.CacheDirectory"/> (the user-level cache) and
    /// <see cref="ComponentContext.Planning"/>. 2.5: <see cref="Training.TaskContext.Record"/>, per-task figures in the run's
    /// journaled task-log.csv. 2.6: <see cref="CoinOptionException"/>, errors in a component's options that the
    /// host names with the component's configuration key. 2.7: <c>Coin.Nn.Layers</c> gains <c>RmsNorm</c>, <c>RotaryEmbedding</c>,
    /// <c>RopeScaling</c> (Hugging Face's rope types), <c>GroupedQueryAttention</c>, <c>AttentionBias</c> and <c>KeyValueCache</c>: the
    /// LLaMA family's building blocks for a backbone plugin of its own; <see cref="PluginCapabilities.ExtraMemoryMultiple"/>. 2.8:
    /// <see cref="Components.ITiledEncoder"/> and <see cref="Components.IPackingConnector"/>, inputs whose token count depends on
    /// the input (any-resolution images), with <see cref="Data.Batch.TileLayouts"/>.</remarks>
    public const string Version = "2.8";

    /// <summary>True when a plugin compiled against <paramref name="pluginVersion"/> can run on this host.</summary>
    public static bool IsCompatible(string pluginVersion, out string reason)
    {
        reason = "";
        var host = System.Version.Parse(Version);
        if (!System.Version.TryParse(pluginVersion, out var plugin))
        {
            reason = $"declares contract version '{pluginVersion}', which is not 'major.minor'";
            return false;
        }
        if (plugin.Major < host.Major)
        {
            reason = $"built for contract {pluginVersion}, this host provides contract {Version}: the contracts changed incompatibly at {host.Major}.0; " +
                     $"rebuild the plugin against Coin.Abstractions {host.Major}.x (docs/guide/plugins.md, \"Migrating a 1.x plugin\", lists what changed)";
            return false;
        }
        if (plugin.Major != host.Major || plugin.Minor > host.Minor)
        {
            reason = $"built for contract {pluginVersion}, this host provides contract {Version}";
            return false;
        }
        return true;
    }
}
