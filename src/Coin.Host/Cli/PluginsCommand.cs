using Coin.Engine.Configuration;
using Coin.Engine.Plugins;
using Spectre.Console;

namespace Coin.Host.Cli;

/// <summary><c>coin plugins</c>: every discovered plugin with kind, name, version and description, the folders they came
/// from, and why a folder failed.</summary>
public sealed class PluginsCommand(ExperimentLoader loader, PluginDirectories directories, IAnsiConsole console) : ICommand
{
    public string Name => "plugins";

    public int Execute()
    {
        var searched = directories.For(loader.Load());
        var catalog = PluginCatalog.Load(searched);
        // Four columns, so that in a 100-column terminal only the description wraps (at word boundaries); capabilities
        // follow the description, folders are listed once below.
        var table = new Table().AddColumns("kind", "name", "version", "description");
        var clashes = catalog.Clashes();
        foreach (var plugin in catalog.Plugins.OrderBy(p => p.Kind).ThenBy(p => p.Name, StringComparer.Ordinal))
        {
            string description = Markup.Escape(plugin.Description);
            if (plugin.Capabilities.Count > 0) description += $" [grey]({Markup.Escape(string.Join(", ", plugin.Capabilities))})[/]";
            if (plugin.Status != PluginStatus.Loaded) description = "[red]failed[/] (see below) " + description;
            // Two plugins of one kind and name (a third party's 'si' beside the built-in): neither can be used until one goes.
            else if (clashes.Contains(plugin)) description = $"[red]name clash[/] ({Markup.Escape(plugin.FolderLabel())}; see below) " + description;
            table.AddRow(plugin.Kind is { } kind ? PluginKinds.Display(kind) : "-", Markup.Escape(plugin.Name), Markup.Escape(plugin.Version), description);
        }
        console.Write(table);
        // Reasons go below the table, one line each, so that long messages are never wrapped inside a cell.
        foreach (var plugin in catalog.Plugins.Where(p => p.Status == PluginStatus.Failed))
            console.MarkupLineInterpolated($"[red]failed[/] {plugin.Name} ({plugin.Folder}): {plugin.Error}");
        foreach (var plugin in catalog.Plugins.Where(p => p.Status == PluginStatus.Loaded))
            foreach (var (capability, why) in plugin.Checked.Ignored)
                console.MarkupLineInterpolated($"[yellow]ignored[/] {plugin.Name}: the capability '{capability}', {why}");
        foreach (var folder in catalog.Plugins.GroupBy(p => p.Folder).OrderBy(g => g.Key, StringComparer.Ordinal))
            console.MarkupLineInterpolated($"[grey]{PluginDescriptor.FolderLabel(folder.Key)}[/]: {string.Join(", ", folder.Select(p => p.Name))}");
        console.WriteLine($"searched: {string.Join(", ", searched)}");
        var conflicts = catalog.Conflicts();
        foreach (var conflict in conflicts) Console.Error.WriteLine("error: " + conflict);
        return conflicts.Count == 0 ? 0 : 2;
    }
}
