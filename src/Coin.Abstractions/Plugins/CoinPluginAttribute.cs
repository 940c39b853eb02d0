using System.Composition;

namespace Coin.Abstractions.Plugins;

/// <summary>Exports a plugin to the host and describes it. Put it on the component class itself (contract 2.1): the
/// host constructs it through its one public constructor, which may take an options class (bound from the
/// <c>options</c> section) and a <see cref="ComponentContext"/>. Or put it on a class that derives from
/// <see cref="PluginFactory{TComponent, TOptions}"/> when creating the component takes more than a constructor call.
/// The properties become MEF export metadata.</summary>
/// <remarks><paramref name="contractVersion"/> defaults to the <see cref="CoinContract.Version"/> constant, which the
/// compiler copies into the plugin's own assembly: it records the contract the plugin was built against.</remarks>
[MetadataAttribute]
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class CoinPluginAttribute(
    PluginKind kind,
    string name,
    string version = "1.0.0",
    string description = "",
    string contractVersion = CoinContract.Version) : ExportAttribute(typeof(IPluginFactory))
{
    /// <summary>The extension point this plugin implements.</summary>
    public PluginKind Kind { get; } = kind;

    /// <summary>The name a configuration uses in its <c>type</c> key, e.g. <c>"exact-match"</c>.</summary>
    public string Name { get; } = name;

    /// <summary>The plugin's own version (semantic versioning).</summary>
    public string Version { get; } = version;

    /// <summary>One line shown by <c>coin plugins</c>.</summary>
    public string Description { get; } = description;

    /// <summary>The contract version the plugin was compiled against.</summary>
    public string ContractVersion { get; } = contractVersion;

    /// <summary>Capabilities and requirements the host checks before a run; see <see cref="PluginCapabilities"/>.</summary>
    public string[] Capabilities { get; set; } = [];
}
