using System.Globalization;
using Coin.Engine.Results;
using Coin.Host.Presentation;
using ScottPlot;
using Spectre.Console;

namespace Coin.Host.Cli;

/// <summary><c>coin compare RUN_DIR...</c>: one table of methods (ACC, MAA, BWT, forgetting, plasticity, time) with
/// mean ± std over runs of the same experiment name, and a bar plot of ACC and forgetting.</summary>
public sealed class CompareCommand(CommandLine commandLine, IAnsiConsole console) : ICommand
{
    public string Name => "compare";

    public int Execute()
    {
        var runs = new List<RunSummary>();
        foreach (string folder in commandLine.RunDirectories)
        {
            // An unfinished run is named and left out, not a reason to print nothing.
            if (RunSummary.Unfinished(folder) is { } why) console.MarkupLineInterpolated($"[yellow]left out:[/] {folder}: {why}");
            else runs.Add(RunSummary.Read(folder));
        }
        if (runs.Count == 0) throw new Abstractions.Plugins.CoinUserException("coin compare: none of the runs given has completed");
        Render(console, runs, Path.GetFullPath(commandLine.ComparisonPlot), commandLine.LossReference);
        return 0;
    }

    /// <summary>The methods table, its CSV beside the plot (<c>comparison.csv</c>: mean and std of every figure), and
    /// the plot; shared with <c>coin sweep compare</c>.</summary>
    public static void Render(IAnsiConsole console, IReadOnlyList<RunSummary> runs, string plotPath, string? lossReference)
    {
        var methods = MethodSummary.Group(runs);
        string Cell((double Mean, double Std) v, int count) => count > 1
            ? $"{v.Mean.ToString("F1", CultureInfo.InvariantCulture)} ± {v.Std.ToString("F1", CultureInfo.InvariantCulture)}"
            : v.Mean.ToString("F1", CultureInfo.InvariantCulture);
        // The evaluators' further metrics (contract 2.0), after the last task and averaged over the tasks, as columns.
        var others = runs.SelectMany(r => r.FinalOthers.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var table = new Table().AddColumns(["method", "runs (seeds)", "ACC", "MAA", "BWT", "forgetting", "plasticity", .. others.Select(o => $"final {o}"), "time (s)"]);
        var csv = new System.Text.StringBuilder("method,runs,seeds,acc,acc_std,maa,maa_std,bwt,bwt_std,forgetting,forgetting_std,plasticity,plasticity_std,seconds,seconds_std"
                                                + string.Concat(others.Select(o => $",{o},{o}_std")) + "\n");
        string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        foreach (var m in methods)
        {
            table.AddRow([Markup.Escape(m.Name), $"{m.Runs.Count} ({string.Join(", ", m.Runs.Select(r => r.Seed))})",
                Cell(m.Of(x => x.FinalAverageAccuracy), m.Runs.Count), Cell(m.Of(x => x.MeanAverageAccuracy), m.Runs.Count),
                Cell(m.Of(x => x.BackwardTransfer), m.Runs.Count), Cell(m.Of(x => x.Forgetting), m.Runs.Count),
                Cell(m.Of(x => x.Plasticity), m.Runs.Count), .. others.Select(o => m.Other(o) is { } v ? Cell(v, m.Runs.Count) : "–"), Cell(m.Seconds, m.Runs.Count)]);
            csv.Append($"{m.Name},{m.Runs.Count},{string.Join(' ', m.Runs.Select(r => r.Seed))}");
            foreach (var figure in new Func<ContinualMetrics, double>[] { x => x.FinalAverageAccuracy, x => x.MeanAverageAccuracy, x => x.BackwardTransfer, x => x.Forgetting, x => x.Plasticity })
            {
                var (mean, std) = m.Of(figure);
                csv.Append($",{R(mean)},{R(std)}");
            }
            csv.Append($",{R(m.Seconds.Mean)},{R(m.Seconds.Std)}");
            foreach (string o in others) csv.Append(m.Other(o) is { } v ? $",{R(v.Mean)},{R(v.Std)}" : ",,");
            csv.Append('\n');
        }
        console.Write(table);
        foreach (var m in methods)
            foreach (string difference in m.Differences)
                console.MarkupLineInterpolated($"[yellow]note:[/] {m.Name}: its runs were {difference}");
        if (lossReference is { } reference) WriteLossTable(console, methods, reference, Cell);
        WritePlot(methods, plotPath);
        string folder = Path.GetDirectoryName(plotPath)!;
        string csvPath = Path.Combine(folder, "comparison.csv");
        AtomicFile.WriteAllText(csvPath, csv.ToString());
        string htmlPath = Path.Combine(folder, Presentation.ComparisonHtml.FileName);
        AtomicFile.WriteAllText(htmlPath, Presentation.ComparisonHtml.Render(methods, plotPath, folder));
        console.MarkupLineInterpolated($"plot: {plotPath}; table: {csvPath}; page: {htmlPath}");
    }

    /// <summary>How fast each method trains: its final loss, and the steps it needs to reach the reference method's
    /// final loss (mean over seeds of the reference), both on the last task's smoothed training loss.</summary>
    private static void WriteLossTable(IAnsiConsole console, IReadOnlyList<MethodSummary> methods, string reference, Func<(double, double), int, string> cell)
    {
        // The row's label, or the experiment's name when its runs are labelled with a protocol ("quick (task-aware)").
        var baseline = methods.FirstOrDefault(m => m.Name == reference) ?? methods.FirstOrDefault(m => m.Runs[0].Name == reference)
                       ?? throw new Abstractions.Plugins.CoinUserException($"--loss-reference: no run named '{reference}' among the runs given");
        double target = baseline.Runs.Average(r => r.FinalLoss);
        var table = new Table().AddColumns("method", "final loss", $"steps to loss {target.ToString("F3", CultureInfo.InvariantCulture)} ({Markup.Escape(reference)}'s final)", "reached", "accuracy");
        foreach (var m in methods)
        {
            var steps = m.Runs.Select(r => r.StepsToReach(target)).ToList();
            var reached = steps.Where(s => s is not null).Select(s => (double)s!.Value).ToList();
            var (loss, lossStd) = MethodSummary.MeanStd(m.Runs.Select(r => r.FinalLoss).ToList());
            table.AddRow(Markup.Escape(m.Name),
                m.Runs.Count > 1 ? $"{loss.ToString("F3", CultureInfo.InvariantCulture)} ± {lossStd.ToString("F3", CultureInfo.InvariantCulture)}" : loss.ToString("F3", CultureInfo.InvariantCulture),
                reached.Count > 0 ? cell(MethodSummary.MeanStd(reached), reached.Count) : "—",
                $"{reached.Count}/{m.Runs.Count}", cell(m.Of(x => x.FinalAverageAccuracy), m.Runs.Count));
        }
        console.Write(table);
    }

    private static void WritePlot(IReadOnlyList<MethodSummary> methods, string path)
    {
        var plot = new Plot();
        var bars = new List<Bar>();
        for (int i = 0; i < methods.Count; i++)
        {
            var (acc, accStd) = methods[i].Of(x => x.FinalAverageAccuracy);
            var (forgetting, forgettingStd) = methods[i].Of(x => x.Forgetting);
            bars.Add(new Bar { Position = 3 * i, Value = acc, Error = accStd, FillColor = Colors.SteelBlue });
            bars.Add(new Bar { Position = 3 * i + 1, Value = forgetting, Error = forgettingStd, FillColor = Colors.IndianRed });
        }
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks(methods.Select((_, i) => 3.0 * i + 0.5).ToArray(), methods.Select(m => m.Name).ToArray());
        // Sixteen method names side by side overlap: slanted, they each get their own column.
        int longestName = methods.Max(m => m.Name.Length);
        plot.Axes.Bottom.TickLabelStyle.Rotation = -35;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plot.Axes.Bottom.MinimumSize = 10 + 5 * longestName;
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "ACC", FillColor = Colors.SteelBlue });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "forgetting", FillColor = Colors.IndianRed });
        plot.ShowLegend(Edge.Right);
        plot.YLabel("%");
        plot.Title("ACC and forgetting (%, mean ± std over seeds)");
        plot.Axes.SetLimitsY(0, 100);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = path + ".tmp.png";
        plot.SavePng(temporary, Math.Max(600, 160 * methods.Count + 200), 450 + 4 * longestName);
        File.Move(temporary, path, overwrite: true);
    }
}
