using Coin.Abstractions.Training;
using Coin.Engine.Results;

namespace Coin.Engine.Running;

/// <summary>Whoever watches a run: the console, TensorBoard, the report files, or a program's own code. The run loop
/// publishes these events and prints nothing itself, as Avalanche's loggers watch its strategies. Every event has an
/// empty default, so an observer implements only those it uses; several are called in the order they were given
/// (<see cref="RunObservers"/>).</summary>
public interface IRunObserver
{
    /// <summary>A line for a reader: what is loaded, resumed or trained.</summary>
    void Info(string line) { }

    /// <summary>Something the run goes on despite.</summary>
    void Warning(string message) { }

    /// <summary>A long phase counted in units (a task's training steps, the stream's evaluation samples). The observer
    /// runs <paramref name="work"/>, handing it a sink that shows the progress; the default shows nothing.</summary>
    T Phase<T>(string title, int total, string unit, Func<IProgressSink, T> work) => work(new NullProgress());

    /// <summary>A long operation without units (loading the components); the result is disposed when it ends.</summary>
    IDisposable? Waiting(string what) => null;

    /// <summary>The run's folder is open and its record says "running"; on a resumed run, after its checkpoint was
    /// checked against the stream.</summary>
    void Started(RunStart start) { }

    /// <summary>One named scalar of an optimiser step, as steps.csv receives it.</summary>
    void Step(string task, long step, string name, double value) { }

    /// <summary>The zero-shot row (before any training) is in <c>results.ZeroShot</c>.</summary>
    void ZeroShotEvaluated(RunResults results, IReadOnlyList<TaskScore> scores) { }

    /// <summary>A task is trained and the stream evaluated after it: one more row of the accuracy matrix.</summary>
    void TaskEvaluated(TaskEvaluation evaluation) { }

    /// <summary>Every task is done; what a complete run holds besides its record is written now (plots, report),
    /// before results.json says "completed".</summary>
    void Completing(RunCompletion completion) { }

    /// <summary>results.json says "completed".</summary>
    void Completed(RunCompletion completion) { }

    /// <summary>A stop request ended the run at a checkpoint during <paramref name="stage"/>.</summary>
    void Interrupted(string stage, string directory) { }

    /// <summary>The run is over however it ended (it follows every <see cref="Started"/>; a run refused before it
    /// started may call it too): release what it held (an open event file).</summary>
    void Closed() { }
}

/// <summary>What a run is, as it starts.</summary>
/// <param name="Resumed">It continues from a checkpoint; the folder's step log holds the rows before it.</param>
public sealed record RunStart(string Source, string Directory, string Device, int Threads, int Seed, bool Resumed, bool Tensorboard,
    RunResults Results, string StepLogPath);

/// <summary>One task trained and the stream scored after it.</summary>
/// <param name="GlobalStep">The steps of every task so far: the x axis of the evaluation's scalars.</param>
public sealed record TaskEvaluation(string Task, TaskTrainer.Summary Summary, IReadOnlyList<TaskScore> Scores, long GlobalStep, RunResults Results);

/// <summary>The end of a run that trained every task.</summary>
/// <param name="Metric">The evaluator's metric, which the accuracy matrix is in.</param>
public sealed record RunCompletion(string Directory, RunResults Results, long GlobalStep, string Metric)
{
    /// <summary>The plots written while completing (by the report's observer), for the others to name or embed.</summary>
    public List<string> Plots { get; } = [];
}
