namespace Coin.Engine.Results;

/// <summary>Named scalars per optimiser step, in memory: what plots and comparisons read back from a run's
/// <c>steps.csv</c> (<see cref="Journal.StepLogFile"/>), and what tests and benchmarks record into.</summary>
public sealed class StepLog : IStepRecorder
{
    private readonly List<(string Task, long Step, string Name, double Value)> rows = [];

    public void Add(string task, long step, string name, double value) => rows.Add((task, step, name, value));

    public int Count => rows.Count;

    public IEnumerable<(string Task, long Step, string Name, double Value)> Rows => rows;

    public IEnumerable<(string Task, long Step, double Value)> Series(string name)
        => rows.Where(r => r.Name == name).Select(r => (r.Task, r.Step, r.Value));

    /// <summary>The logged names, in order of first appearance.</summary>
    public IEnumerable<string> Names() => rows.Select(r => r.Name).Distinct();
}
