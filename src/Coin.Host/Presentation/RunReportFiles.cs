using Coin.Engine.Journal;
using Coin.Engine.Results;

namespace Coin.Host.Presentation;

/// <summary>A run folder's report files, written from its results.json and steps.csv.</summary>
public static class RunReportFiles
{
    /// <summary>Plots, report.md, report.html and the matrix CSV from results.json and steps.csv (also what <c>coin report</c> does).</summary>
    public static IReadOnlyList<string> Write(string directory, RunResults results)
    {
        var log = StepLogFile.Read(Path.Combine(directory, StepLogFile.FileName));
        var plots = RunPlots.Write(directory, results, log);
        AtomicFile.WriteAllText(Path.Combine(directory, AccuracyMatrixCsv.FileName), AccuracyMatrixCsv.ToCsv(results));
        AtomicFile.WriteAllText(Path.Combine(directory, RunJournal.ReportFileName), RunReport.Markdown(results, plots));
        AtomicFile.WriteAllText(Path.Combine(directory, Html.RunReportHtml.FileName), Html.RunReportHtml.Render(directory, results, plots));
        return plots;
    }
}
