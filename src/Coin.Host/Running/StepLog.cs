using System.Globalization;
using System.Text;

namespace Coin.Host.Running;

/// <summary>Named scalars per optimiser step (loss, learning rates, anything a plugin logs), written as CSV.</summary>
public sealed class StepLog
{
    private readonly List<(string Task, long Step, string Name, double Value)> rows = [];

    public void Add(string task, long step, string name, double value) => rows.Add((task, step, name, value));

    public IEnumerable<(string Task, long Step, double Value)> Series(string name)
        => rows.Where(r => r.Name == name).Select(r => (r.Task, r.Step, r.Value));

    /// <summary>The logged names, in order of first appearance.</summary>
    public IEnumerable<string> Names() => rows.Select(r => r.Name).Distinct();

    /// <summary>Forgets what task <paramref name="task"/> logged from <paramref name="step"/> on (a resumed run logs
    /// those steps again).</summary>
    public void DropFrom(string task, long step) => rows.RemoveAll(r => r.Task == task && r.Step >= step);

    /// <summary>Reads what <see cref="ToCsv"/> wrote; a missing file is an empty log.</summary>
    public static StepLog ReadCsv(string path)
    {
        var log = new StepLog();
        if (!File.Exists(path)) return log;
        foreach (string line in File.ReadLines(path).Skip(1))
        {
            var parts = line.Split(',');
            if (parts.Length != 4
                || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out long step)
                || !double.TryParse(parts[3], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                throw new Abstractions.Plugins.CoinUserException($"{path}: line '{line}' is not task,step,name,value");
            log.Add(parts[0], step, parts[2], value);
        }
        return log;
    }

    public string ToCsv()
    {
        var text = new StringBuilder("task,step,name,value\n");
        foreach (var (task, step, name, value) in rows)
            text.Append(task).Append(',').Append(step).Append(',').Append(name).Append(',')
                .Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        return text.ToString();
    }
}
