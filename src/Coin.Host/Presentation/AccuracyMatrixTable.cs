using System.Globalization;
using Coin.Host.Results;
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

    public const string CsvFileName = "accuracy-matrix.csv";

    /// <summary>The matrix as CSV (RFC 4180: a task name with a comma or a quote is quoted): a header of task names,
    /// then "zero-shot" (if evaluated) and one row per stage.</summary>
    public static string ToCsv(RunResults results)
    {
        using var text = new StringWriter();
        using (var csv = new CsvHelper.CsvWriter(text, new CsvHelper.Configuration.CsvConfiguration(CultureInfo.InvariantCulture) { NewLine = "\n" }))
        {
            void Row(string label, IEnumerable<string> values)
            {
                csv.WriteField(label);
                foreach (string value in values) csv.WriteField(value);
                csv.NextRecord();
            }
            Row("after", results.Tasks);
            if (results.ZeroShot is { } zero) Row("zero-shot", zero.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
            for (int t = 0; t < results.AccuracyMatrix.Count; t++)
                Row(results.Tasks[t], results.AccuracyMatrix[t].Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        }
        return text.ToString();
    }
}
