using Coin.Abstractions.Plugins;

namespace Coin.Host.Plugins;

public enum PluginStatus { Loaded, Failed }

/// <summary>One exported plugin (or one folder that failed to load, with <see cref="Name"/> = the folder's name).</summary>
public sealed record PluginDescriptor(
    PluginKind? Kind,
    string Name,
    string Version,
    string Description,
    string ContractVersion,
    IReadOnlyList<string> Capabilities,
    string Folder,
    PluginStatus Status,
    string? Error,
    IPluginFactory? Factory)
{
    public static PluginDescriptor FailedFolder(string folder, string error)
        => new(null, Path.GetFileName(folder), "", "", "", [], folder, PluginStatus.Failed, error, null);
}
