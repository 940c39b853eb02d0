using Coin.Abstractions.Plugins;

namespace Coin.Engine.Plugins;

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
    /// <summary>The capabilities as the host's checks read them (parsed on each read: a handful of strings, and no
    /// cached field to change the record's equality).</summary>
    public DeclaredCapabilities Checked => DeclaredCapabilities.Parse(Capabilities);

    public static PluginDescriptor FailedFolder(string folder, string error)
        => new(null, FolderLabel(folder), "", "", "", [], folder, PluginStatus.Failed, error, null);

    /// <summary>The folder's name as tables show it: a build output folder (<c>bin/Release/net10.0</c>, where a plugin
    /// built from the template lands) is named by its project instead of <c>net10.0</c>.</summary>
    public string FolderLabel() => FolderLabel(Folder);

    public static string FolderLabel(string folder)
    {
        string path = Path.TrimEndingDirectorySeparator(folder);
        var buildFolders = new List<string>();
        while (Path.GetFileName(path) is { Length: > 0 } name && IsBuildOutput(name))
        {
            buildFolders.Insert(0, name);
            path = Path.GetDirectoryName(path) ?? "";
        }
        string project = Path.GetFileName(path);
        return buildFolders.Count == 0 ? project : project.Length == 0 ? string.Join('/', buildFolders) : $"{project} ({string.Join('/', buildFolders)})";
    }

    private static bool IsBuildOutput(string name)
        => name is "bin" or "Debug" or "Release" or "publish" || System.Text.RegularExpressions.Regex.IsMatch(name, @"^net\d+(\.\d+)?([-.].*)?$");
}
