using System.Globalization;

namespace Coin.Engine.Journal;

/// <summary>A run's <c>task-log.csv</c> (task, component, name, value): the figures plugins record per task through
/// <see cref="Coin.Abstractions.Training.TaskContext.Record"/>, rolled back with the checkpoint (<see cref="JournaledCsv"/>),
/// so a task boundary that a resumed run passes again leaves its rows once.</summary>
public sealed class TaskLogFile : IDisposable
{
    public const string FileName = "task-log.csv";
    private static readonly string[] Header = ["task", "component", "name", "value"];

    private readonly JournaledCsv file;

    private TaskLogFile(JournaledCsv file) => this.file = file;

    public static TaskLogFile Open(string runDirectory, long length)
        => new(JournaledCsv.Open(Path.Combine(runDirectory, FileName), length, Header, "task log"));

    /// <summary>Appends a row and hands it to the system at once (a few rows per task; readable while the run goes).</summary>
    public void Add(string task, string component, string name, double value)
    {
        file.Add([task, component, name, value.ToString("R", CultureInfo.InvariantCulture)]);
        file.Flush();
    }

    /// <inheritdoc cref="JournaledCsv.Commit"/>
    public long Commit() => file.Commit();

    /// <summary>The rows of a run folder's task log (none when it has no file); a malformed row names the file and line.</summary>
    public static IReadOnlyList<(string Task, string Component, string Name, double Value)> Read(string runDirectory)
    {
        var rows = new List<(string, string, string, double)>();
        JournaledCsv.Read(Path.Combine(runDirectory, FileName), Header, "task,component,name,value", csv =>
        {
            if (!double.TryParse(csv.GetField(3), NumberStyles.Float, CultureInfo.InvariantCulture, out double value)) return false;
            rows.Add((csv.GetField(0)!, csv.GetField(1)!, csv.GetField(2)!, value));
            return true;
        });
        return rows;
    }

    public void Dispose() => file.Dispose();
}
