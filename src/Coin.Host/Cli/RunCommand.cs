using Coin.Engine.Configuration;
using Coin.Engine.Plugins;
using Coin.Engine.Running;
using Coin.Host.Presentation;

namespace Coin.Host.Cli;

/// <summary><c>coin run [FILE]</c>: plan, train over the stream, evaluate, write results; <c>--resume RUN_DIR</c>
/// continues a run from its last checkpoint.</summary>
public sealed class RunCommand(ExperimentLoader loader, PluginDirectories directories, ExperimentRunner runner, RunPlan runPlan, ResumeRequest resume,
    RunCancellation cancellation, CommandLine commandLine) : ICommand
{
    public string Name => "run";

    public int Execute()
    {
        var experiment = loader.Load();
        var searched = directories.For(experiment);
        var catalog = PluginCatalog.LoadForUse(searched);
        if (commandLine.PlanOnly) return runPlan.Print(experiment, catalog);
        runner.Run(experiment, catalog, resume.Run, cancellation.Token, searched,
            commandLine.RunDirectory is { } directory ? Path.GetFullPath(directory) : null);
        return 0;
    }
}
