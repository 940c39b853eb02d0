using Coin.Abstractions.Plugins;
using Coin.Engine.Journal;
using Coin.Host.Presentation;
using Spectre.Console;

namespace Coin.Host.Cli;

/// <summary><c>coin report RUN_DIR...</c>: writes report.md, report.html, the plots and accuracy-matrix.csv of each run again from
/// its results.json and steps.csv (for a run killed while its report was written, or after an upgrade of coin).</summary>
public sealed class ReportCommand(CommandLine commandLine, IAnsiConsole console) : ICommand
{
    public string Name => "report";

    public int Execute()
    {
        foreach (string directory in commandLine.RunDirectories)
        {
            string full = Path.GetFullPath(directory);
            if (!Directory.Exists(full)) throw new CoinUserException($"coin report: run folder '{directory}' does not exist");
            var results = RunJournal.ReadResults(full);
            var plots = RunReportFiles.Write(full, results);
            console.MarkupLineInterpolated($"{full}: {RunJournal.ReportFileName}, {Presentation.Html.RunReportHtml.FileName}, {AccuracyMatrixTableName}, {plots.Count} plots (status {results.Status})");
        }
        return 0;
    }

    private const string AccuracyMatrixTableName = Coin.Engine.Results.AccuracyMatrixCsv.FileName;
}
