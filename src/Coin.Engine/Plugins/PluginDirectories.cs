using Coin.Abstractions.Plugins;
using Coin.Engine.Configuration;

namespace Coin.Engine.Plugins;

/// <summary>Where plugins are looked for: the host's own plugins/ folder, then <c>plugins.directories</c> from the
/// experiment (relative to the experiment file), then each <c>--plugins</c> (relative to the current folder).</summary>
public sealed class PluginDirectories(PluginDirectories.FromCommandLine commandLine)
{
    public static string HostPluginsDirectory => Path.Combine(AppContext.BaseDirectory, "plugins");

    public IReadOnlyList<string> For(Experiment experiment)
    {
        var directories = new List<string> { HostPluginsDirectory };
        for (int i = 0; i < experiment.Config.Plugins.Directories.Count; i++)
            directories.Add(Existing(experiment.ResolvePath(experiment.Config.Plugins.Directories[i]), $"{experiment.Source}: plugins.directories[{i}]"));
        foreach (var directory in commandLine.Directories)
            directories.Add(Existing(Path.GetFullPath(directory), "--plugins"));
        return directories;
    }

    /// <summary>The folders given with <c>--plugins</c>, as the command line read them (registered by CoinApp).</summary>
    public sealed record FromCommandLine(IReadOnlyList<string> Directories);

    private static string Existing(string path, string origin)
        => Directory.Exists(path) ? path : throw new CoinUserException($"{origin}: plugin directory '{path}' does not exist");
}
