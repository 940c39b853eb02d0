using Coin.Engine.Journal;
using Coin.Host.Presentation.Html;
using static Coin.Host.Presentation.Html.HtmlPage;

namespace Coin.Host.Presentation;

/// <summary>comparison.html beside comparison.csv (<c>coin compare</c>, <c>coin sweep compare</c>): the methods table
/// (mean ± std over seeds), the comparison plot, and each method's accuracy matrix averaged over its runs, with links
/// to every run's own report.html.</summary>
public static class ComparisonHtml
{
    public const string FileName = "comparison.html";

    public static string Render(IReadOnlyList<MethodSummary> methods, string plotPath, string pageFolder)
    {
        var page = new HtmlPage("Comparison");
        string Cell((double Mean, double Std) v, int n) => n > 1 ? $"{F(v.Mean)} ± {F(v.Std)}" : F(v.Mean);
        page.Heading("Methods (%)", "methods");
        page.Table(["method", "runs (seeds)", "ACC", "MAA", "BWT", "forgetting", "plasticity", "time (s)"],
            methods.Select(m => (IReadOnlyList<string>)[m.Name, $"{m.Runs.Count} ({string.Join(", ", m.Runs.Select(r => r.Seed))})",
                Cell(m.Of(x => x.FinalAverageAccuracy), m.Runs.Count), Cell(m.Of(x => x.MeanAverageAccuracy), m.Runs.Count),
                Cell(m.Of(x => x.BackwardTransfer), m.Runs.Count), Cell(m.Of(x => x.Forgetting), m.Runs.Count),
                Cell(m.Of(x => x.Plasticity), m.Runs.Count), Cell(m.Seconds, m.Runs.Count)]), id: "methods-table");
        page.Image(plotPath, Path.GetFileNameWithoutExtension(plotPath), wide: true);

        foreach (var m in methods)
        {
            var runs = m.Runs.Select(r => RunJournal.ReadResults(r.Folder)).ToList();
            var tasks = runs[0].Tasks;
            page.Heading($"{m.Name}: accuracy (%) after each task{(runs.Count > 1 ? $", mean of {runs.Count} runs" : "")}");
            if (runs.Any(r => !r.Tasks.SequenceEqual(tasks)))
            {
                page.Paragraph("Its runs have different task streams; see each run's report.");
            }
            else
            {
                int stages = runs.Min(r => r.AccuracyMatrix.Count);
                page.Heatmap(tasks, Enumerable.Range(0, stages).Select(t =>
                    (tasks[t], Enumerable.Range(0, tasks.Count).Select(i => runs.Average(r => r.AccuracyMatrix[t][i])).ToArray())));
            }
            if (m.Differences.Count > 0)
                page.Paragraph("Its runs differ beyond the seed: " + string.Join("; ", m.Differences) + ".");
            page.Raw("<p>runs: " + string.Join(", ", m.Runs.Select(r =>
            {
                string report = Path.Combine(r.Folder, RunReportHtml.FileName);
                string label = $"seed {r.Seed} ({E(Path.GetFileName(Path.TrimEndingDirectorySeparator(r.Folder)))})";
                return File.Exists(report) ? $"<a href=\"{E(Path.GetRelativePath(pageFolder, report).Replace('\\', '/'))}\">{label}</a>" : label;
            })) + "</p>");
        }
        return page.Render();
    }
}
