using Coin.Host.Composition;
using Coin.Host.Configuration;
using Coin.Host.Plugins;
using Coin.Host.Running;

namespace Coin.Host.Cli;

/// <summary><c>coin evaluate RUN_DIR --stage S --shard I/N | --merge N</c>: see <see cref="StageEvaluation"/>.</summary>
public sealed class EvaluateCommand(CommandLine commandLine, ExperimentLoader loader, PluginDirectories directories, StageEvaluation evaluation,
    RunCancellation cancellation) : ICommand
{
    public string Name => "evaluate";

    public int Execute()
    {
        var options = commandLine.Evaluate!;
        var experiment = loader.Load();
        var plan = ExperimentPlanner.Plan(experiment, PluginCatalog.LoadForUse(directories.For(experiment)));
        if (options.Merge) return evaluation.Merge(experiment, plan, options.RunDirectory, options.Stage, options.Count);
        evaluation.Shard(experiment, plan, options.RunDirectory, options.Stage, options.Shard, options.Count, cancellation.Token);
        return 0;
    }
}
