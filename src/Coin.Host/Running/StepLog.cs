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

    public string ToCsv()
    {
        var text = new StringBuilder("task,step,name,value\n");
        foreach (var (task, step, name, value) in rows)
            text.Append(task).Append(',').Append(step).Append(',').Append(name).Append(',')
                .Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        return text.ToString();
    }
}
