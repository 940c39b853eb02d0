using Coin.Host.Configuration;
using Coin.Host.Plugins;
using Spectre.Console;

namespace Coin.Host.Cli;

/// <summary><c>coin plugins</c>: every discovered plugin with kind, name, version, folder and status.</summary>
public sealed class PluginsCommand(ExperimentLoader loader, PluginDirectories directories, IAnsiConsole console) : ICommand
{
    public string Name => "plugins";

    public int Execute()
    {
        var searched = directories.For(loader.Load());
        var catalog = PluginCatalog.Load(searched);
        var table = new Table().AddColumns("kind", "name", "version", "description", "capabilities", "folder", "status");
        foreach (var plugin in catalog.Plugins.OrderBy(p => p.Kind).ThenBy(p => p.Name, StringComparer.Ordinal))
        {
            string status = plugin.Status == PluginStatus.Loaded ? "[green]loaded[/]" : "[red]failed[/] (see below)";
            table.AddRow(
                plugin.Kind is { } kind ? PluginKinds.Display(kind) : "-",
                Markup.Escape(plugin.Name),
                Markup.Escape(plugin.Version),
                Markup.Escape(plugin.Description),
                Markup.Escape(string.Join(", ", plugin.Capabilities)),
                Markup.Escape(Path.GetFileName(plugin.Folder)),
                status);
        }
        console.Write(table);
        // Reasons go below the table, one line each, so that long messages are never wrapped inside a cell.
        foreach (var plugin in catalog.Plugins.Where(p => p.Status == PluginStatus.Failed))
            console.MarkupLineInterpolated($"[red]failed[/] {plugin.Name} ({plugin.Folder}): {plugin.Error}");
        console.WriteLine($"searched: {string.Join(", ", searched)}");
        var conflicts = catalog.Conflicts();
        foreach (var conflict in conflicts) Console.Error.WriteLine("error: " + conflict);
        return conflicts.Count == 0 ? 0 : 2;
    }
}
