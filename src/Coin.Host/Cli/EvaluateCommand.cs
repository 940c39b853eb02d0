using Coin.Engine.Composition;
using Coin.Engine.Configuration;
using Coin.Engine.Plugins;
using Coin.Engine.Running;
using Spectre.Console;

namespace Coin.Host.Cli;

/// <summary><c>coin evaluate RUN_DIR --stage S --shard I/N | --merge N</c>: see <see cref="StageEvaluation"/>.</summary>
public sealed class EvaluateCommand(CommandLine commandLine, ExperimentLoader loader, PluginDirectories directories, StageEvaluation evaluation,
    RunCancellation cancellation, IAnsiConsole console) : ICommand
{
    public string Name => "evaluate";

    public int Execute()
    {
        var options = commandLine.Evaluate!;
        var experiment = loader.Load();
        var plan = ExperimentPlanner.Plan(experiment, PluginCatalog.LoadForUse(directories.For(experiment)));
        if (options.Merge) return Print(evaluation.Merge(experiment, plan, options.RunDirectory, options.Stage, options.Count), options.Count);
        var (answered, file) = evaluation.Shard(experiment, plan, options.RunDirectory, options.Stage, options.Shard, options.Count, cancellation.Token);
        console.MarkupLineInterpolated($"stage {options.Stage}, shard {options.Shard + 1} of {options.Count}: {answered} answers → {file}");
        return 0;
    }

    /// <returns>0 when the merged scores equal the run's, 1 when they differ.</returns>
    private int Print(StageEvaluation.MergeResult merge, int count)
    {
        var table = new Table().AddColumns("task", "metric", "score (merged)", "score (run)");
        foreach (var row in merge.Scores)
            table.AddRow(Markup.Escape(row.Task), Markup.Escape(row.Metric), $"{row.Merged:F2}", row.Recorded is { } recorded ? $"{recorded:F2}" : "—");
        console.Write(table);
        if (merge.Equal) console.MarkupLineInterpolated($"the merged scores equal the run's ({count} shards)");
        else console.MarkupLine("[red]the merged scores differ from the run's[/]");
        return merge.Equal ? 0 : 1;
    }
}
