using System.Globalization;
using Coin.Engine.Results;
using Spectre.Console;

namespace Coin.Host.Presentation;

/// <summary>The accuracy matrix as a console table: a row per training stage, a column per task.</summary>
public static class AccuracyMatrixTable
{
    public static Table Build(IReadOnlyList<string> tasks, IReadOnlyList<double[]> matrix, string metric)
    {
        var table = new Table().Title($"Accuracy (%) after each task — {Markup.Escape(metric)}");
        table.AddColumn("after training");
        foreach (var task in tasks) table.AddColumn(new TableColumn(Markup.Escape(task)).RightAligned());
        table.AddColumn(new TableColumn("mean so far").RightAligned());
        for (int t = 0; t < matrix.Count; t++)
        {
            var cells = new List<string> { Markup.Escape(tasks[t]) };
            cells.AddRange(matrix[t].Select(v => v.ToString("F1", CultureInfo.InvariantCulture)));
            cells.Add(matrix[t].Take(t + 1).Average().ToString("F1", CultureInfo.InvariantCulture));
            table.AddRow(cells.ToArray());
        }
        return table;
    }

    public static Table Metrics(ContinualMetrics metrics)
    {
        var table = new Table().Title("Continual metrics (%)").AddColumns("ACC", "MAA", "BWT", "forgetting", "plasticity", "FWT");
        string F(double value) => value.ToString("F1", CultureInfo.InvariantCulture);
        table.AddRow(F(metrics.FinalAverageAccuracy), F(metrics.MeanAverageAccuracy), F(metrics.BackwardTransfer),
            F(metrics.Forgetting), F(metrics.Plasticity), metrics.ForwardTransfer is { } fwt ? F(fwt) : "n/a (no zero-shot row)");
        return table;
    }
}
