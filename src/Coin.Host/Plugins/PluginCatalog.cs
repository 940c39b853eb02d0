using Coin.Abstractions.Plugins;

namespace Coin.Host.Plugins;

/// <summary>Every plugin found in the plugin directories. Each subfolder of a directory is one plugin folder; a
/// directory that holds assemblies itself (a plugin's own build output, given with <c>--plugins</c>) is one plugin
/// folder.</summary>
public sealed class PluginCatalog
{
    private PluginCatalog(IReadOnlyList<PluginDescriptor> plugins) => Plugins = plugins;

    public IReadOnlyList<PluginDescriptor> Plugins { get; }

    /// <summary>Scans the directories (missing ones are skipped by the caller's choice: see <see cref="PluginDirectories"/>).</summary>
    public static PluginCatalog Load(IEnumerable<string> directories)
    {
        var folders = directories
            .Select(Path.GetFullPath)
            .Distinct(StringComparer.Ordinal)
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.dll").Any() ? [d] : Directory.EnumerateDirectories(d).Order(StringComparer.Ordinal).ToList())
            .ToList();
        return new PluginCatalog(folders.SelectMany(PluginFolderLoader.Load).ToList());
    }

    /// <summary>Messages for each kind and name provided by more than one folder.</summary>
    public IReadOnlyList<string> Conflicts()
        => Plugins.Where(p => p.Status == PluginStatus.Loaded)
            .GroupBy(p => (p.Kind, p.Name.ToLowerInvariant()))
            .Where(g => g.Count() > 1)
            .Select(g => $"{PluginKinds.Display(g.Key.Kind!.Value)} plugin '{g.First().Name}' is provided by more than one folder: "
                         + string.Join(" and ", g.Select(p => p.Folder)) + "; remove all but one")
            .ToList();

    /// <summary>The loaded plugin of that kind and name, or a user error naming the key and the accepted names.</summary>
    public PluginDescriptor Resolve(PluginKind kind, string name, string keyPath)
    {
        var conflicts = Conflicts();
        if (conflicts.Count > 0) throw new CoinUserException(string.Join(Environment.NewLine, conflicts));
        var loaded = Plugins.Where(p => p.Kind == kind && p.Status == PluginStatus.Loaded).ToList();
        var match = loaded.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
        if (match is not null) return match;
        var failed = Plugins.FirstOrDefault(p => p.Kind == kind && string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
        if (failed is not null)
            throw new CoinUserException($"{keyPath}: plugin '{name}' failed to load from {failed.Folder}: {failed.Error}");
        string accepted = loaded.Count == 0 ? "none is installed" : "accepted: " + string.Join(", ", loaded.Select(p => p.Name).Order());
        throw new CoinUserException($"{keyPath}: unknown {PluginKinds.Display(kind)} plugin '{name}'; {accepted}");
    }
}
