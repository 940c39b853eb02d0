using Coin.Host.Configuration;
using Coin.Host.Plugins;
using Coin.Host.Running;

namespace Coin.Host.Cli;

/// <summary><c>coin run [FILE]</c>: plan, train over the stream, evaluate, write results.</summary>
public sealed class RunCommand(ExperimentLoader loader, PluginDirectories directories, ExperimentRunner runner) : ICommand
{
    public string Name => "run";

    public int Execute()
    {
        var experiment = loader.Load();
        var catalog = PluginCatalog.Load(directories.For(experiment));
        runner.Run(experiment, catalog);
        return 0;
    }
}
