using Coin.Abstractions.Plugins;

namespace Coin.Engine.Plugins;

/// <summary>Every plugin found in the plugin directories. Each subfolder of a directory is one plugin folder; a
/// directory that holds assemblies itself (a plugin's own build output, given with <c>--plugins</c>) is one plugin
/// folder.</summary>
public sealed class PluginCatalog
{
    private PluginCatalog(IReadOnlyList<PluginDescriptor> plugins) => Plugins = plugins;

    public IReadOnlyList<PluginDescriptor> Plugins { get; }

    /// <summary>Scans the directories (missing ones are skipped by the caller's choice: see <see cref="PluginDirectories"/>).
    /// A folder that fails to load is listed with its reason (see <c>coin plugins</c>).</summary>
    public static PluginCatalog Load(IEnumerable<string> directories) => Scan(directories).Catalog;

    /// <summary>As <see cref="Load"/>, for a command that uses the plugins: a directory the user named (every one but
    /// the host's own) from which no plugin loads is refused with each folder's reason, instead of being passed over
    /// in silence while the run goes on with the built-ins.</summary>
    public static PluginCatalog LoadForUse(IEnumerable<string> directories)
    {
        var (catalog, foldersOf) = Scan(directories);
        string host = Path.GetFullPath(PluginDirectories.HostPluginsDirectory);
        foreach (var (directory, folders) in foldersOf.Where(d => d.Key != host))
        {
            var mine = catalog.Plugins.Where(p => folders.Contains(p.Folder)).ToList();
            if (mine.Any(p => p.Status == PluginStatus.Loaded)) continue;
            string reasons = mine.Count == 0 ? "it has no plugin folder"
                : string.Join("; ", mine.Take(3).Select(p => $"{p.Folder}: {p.Error}")) + (mine.Count > 3 ? $"; and {mine.Count - 3} more" : "");
            throw new CoinUserException($"plugin directory '{directory}': no plugin loads from it ({reasons})");
        }
        return catalog;
    }

    /// <summary>The catalog, and the plugin folders each existing directory gave.</summary>
    private static (PluginCatalog Catalog, Dictionary<string, List<string>> FoldersOf) Scan(IEnumerable<string> directories)
    {
        var foldersOf = directories.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal).Where(Directory.Exists)
            .ToDictionary(d => d, d => FoldersOf(d).ToList(), StringComparer.Ordinal);
        return (new PluginCatalog(foldersOf.Values.SelectMany(f => f).SelectMany(PluginFolderLoader.Load).ToList()), foldersOf);
    }

    /// <summary>A directory that holds assemblies is one plugin folder; otherwise each subfolder is one.</summary>
    private static IEnumerable<string> FoldersOf(string directory)
        => Directory.EnumerateFiles(directory, "*.dll").Any() ? [directory] : Directory.EnumerateDirectories(directory).Order(StringComparer.Ordinal).ToList();

    /// <summary>Messages for each kind and name provided by more than one folder.</summary>
    public IReadOnlyList<string> Conflicts()
        => Clashing().Select(g => Conflict(g.ToList())).ToList();

    /// <summary>The loaded plugins that share their kind and name with another.</summary>
    public IReadOnlySet<PluginDescriptor> Clashes() => Clashing().SelectMany(g => g).ToHashSet();

    private IEnumerable<IGrouping<(PluginKind?, string), PluginDescriptor>> Clashing()
        => Plugins.Where(p => p.Status == PluginStatus.Loaded)
            .GroupBy(p => (p.Kind, p.Name.ToLowerInvariant()))
            .Where(g => g.Count() > 1);

    private static string Conflict(IReadOnlyList<PluginDescriptor> same)
        => $"{PluginKinds.Display(same[0].Kind!.Value)} plugin '{same[0].Name}' is provided by more than one folder: "
           + string.Join(" and ", same.Select(p => p.Folder)) + "; remove all but one";

    /// <summary>The loaded plugin of that kind and name, or a user error naming the key and the accepted names.</summary>
    /// <remarks>Only a clash of the name asked for stops the resolution (once, for its key): a third party's plugin
    /// that shadows a built-in nobody uses is no reason to refuse the run.</remarks>
    public PluginDescriptor Resolve(PluginKind kind, string name, string keyPath)
    {
        var same = Plugins.Where(p => p.Status == PluginStatus.Loaded && p.Kind == kind && string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
        if (same.Count > 1) throw new CoinUserException($"{keyPath}: {Conflict(same)}");
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
