using System.Globalization;

namespace Coin.Engine.Results;

/// <summary>accuracy-matrix.csv, written with results.json (the console's table is Presentation's AccuracyMatrixTable).</summary>
public static class AccuracyMatrixCsv
{
    public const string FileName = "accuracy-matrix.csv";

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
