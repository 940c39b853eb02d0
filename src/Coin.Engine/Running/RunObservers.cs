using Coin.Abstractions.Training;
using Coin.Engine.Results;

namespace Coin.Engine.Running;

/// <summary>Several observers as one, each event given to each in order (so the report's observer, listed before
/// TensorBoard's, has written the plots TensorBoard then embeds).</summary>
public sealed class RunObservers(params IReadOnlyList<IRunObserver> observers) : IRunObserver
{
    public IReadOnlyList<IRunObserver> Observers { get; } = observers;

    public void Info(string line) => Each(o => o.Info(line));
    public void Warning(string message) => Each(o => o.Warning(message));
    public void Started(RunStart start) => Each(o => o.Started(start));
    public void Step(string task, long step, string name, double value) => Each(o => o.Step(task, step, name, value));
    public void ZeroShotEvaluated(RunResults results, IReadOnlyList<TaskScore> scores) => Each(o => o.ZeroShotEvaluated(results, scores));
    public void TaskEvaluated(TaskEvaluation evaluation) => Each(o => o.TaskEvaluated(evaluation));
    public void Completing(RunCompletion completion) => Each(o => o.Completing(completion));
    public void Completed(RunCompletion completion) => Each(o => o.Completed(completion));
    public void Interrupted(string stage, string directory) => Each(o => o.Interrupted(stage, directory));
    /// <summary>Every observer is closed even when one throws; the first exception is rethrown after.</summary>
    public void Closed()
    {
        Exception? first = null;
        foreach (var observer in Observers)
        {
            try
            {
                observer.Closed();
            }
            catch (Exception e)
            {
                first ??= e;
            }
        }
        if (first is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
    }

    /// <summary>Each observer wraps the next one's phase, and the work sees one sink that advances all of theirs.</summary>
    public T Phase<T>(string title, int total, string unit, Func<IProgressSink, T> work)
    {
        var sinks = new List<IProgressSink>();
        T Nest(int i) => i == Observers.Count
            ? work(new AllSinks(sinks))
            : Observers[i].Phase(title, total, unit, sink => { sinks.Add(sink); return Nest(i + 1); });
        return Nest(0);
    }

    public IDisposable? Waiting(string what)
    {
        var waits = new List<IDisposable>();
        try
        {
            foreach (var observer in Observers)
                if (observer.Waiting(what) is { } wait) waits.Add(wait);
        }
        catch
        {
            // The ones already waiting stop (a heartbeat's thread) before the failure goes on.
            new AllDisposed(waits).Dispose();
            throw;
        }
        return waits.Count == 0 ? null : new AllDisposed(waits);
    }

    private void Each(Action<IRunObserver> call)
    {
        foreach (var observer in Observers) call(observer);
    }

    private sealed class AllSinks(IReadOnlyList<IProgressSink> sinks) : IProgressSink
    {
        public void Advance(int units, string status)
        {
            foreach (var sink in sinks) sink.Advance(units, status);
        }

        public void Resumed(int units)
        {
            foreach (var sink in sinks) sink.Resumed(units);
        }
    }

    private sealed class AllDisposed(IReadOnlyList<IDisposable> parts) : IDisposable
    {
        public void Dispose()
        {
            foreach (var part in parts) part.Dispose();
        }
    }
}

/// <summary>Sends a run's step rows to its observers as well as to steps.csv.</summary>
internal sealed class ObservedSteps(IStepRecorder file, IRunObserver observer) : IStepRecorder
{
    public void Add(string task, long step, string name, double value)
    {
        file.Add(task, step, name, value);
        observer.Step(task, step, name, value);
    }
}
