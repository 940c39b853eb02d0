using System.Globalization;
using Coin.Engine.Results;

namespace Coin.Engine.Journal;

/// <summary>A run's <c>steps.csv</c> (task, step, name, value), appended row by row as training goes instead of held in
/// memory, and rolled back with the checkpoint (<see cref="JournaledCsv"/>).</summary>
public sealed class StepLogFile : IStepRecorder, IDisposable
{
    public const string FileName = "steps.csv";
    private static readonly string[] Header = ["task", "step", "name", "value"];

    private readonly JournaledCsv file;

    private StepLogFile(JournaledCsv file) => this.file = file;

    public string Path => file.Path;

    /// <summary>Opens the log of a run folder for appending, cut back to <paramref name="length"/> bytes (0: a new log).</summary>
    public static StepLogFile Open(string runDirectory, long length)
        => new(JournaledCsv.Open(System.IO.Path.Combine(runDirectory, FileName), length, Header, "step log"));

    public void Add(string task, long step, string name, double value)
        => file.Add([task, step.ToString(CultureInfo.InvariantCulture), name, value.ToString("R", CultureInfo.InvariantCulture)]);

    /// <inheritdoc cref="JournaledCsv.Commit"/>
    public long Commit() => file.Commit();

    /// <summary>Reads a step log; a missing file is an empty log. A malformed row names the file and the line.</summary>
    public static StepLog Read(string path)
    {
        var log = new StepLog();
        JournaledCsv.Read(path, Header, "task,step,name,value", csv =>
        {
            if (!long.TryParse(csv.GetField(1), CultureInfo.InvariantCulture, out long step)
                || !double.TryParse(csv.GetField(3), NumberStyles.Float, CultureInfo.InvariantCulture, out double value)) return false;
            log.Add(csv.GetField(0)!, step, csv.GetField(2)!, value);
            return true;
        });
        return log;
    }

    public void Dispose() => file.Dispose();
}
