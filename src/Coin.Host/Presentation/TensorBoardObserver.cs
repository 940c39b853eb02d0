using Coin.Engine.Journal;
using Coin.Engine.Results;
using Coin.Engine.Running;

namespace Coin.Host.Presentation;

/// <summary>A run's events in <c>{run}/tensorboard/</c> when <c>reporting.tensorboard</c> is on
/// (<see cref="TensorBoardLog"/>): written afresh from the folder at the start (a resumed run's rows up to its
/// checkpoint), then step by step, each evaluation, and the accuracy-matrix image the report's observer drew.</summary>
public sealed class TensorBoardObserver : IRunObserver
{
    private TensorBoardLog? log;

    public void Started(RunStart start)
    {
        Closed();
        if (!start.Tensorboard) return;
        var written = start.Resumed ? StepLogFile.Read(start.StepLogPath) : new StepLog();
        log = TensorBoardLog.Open(start.Directory, written, start.Results);
    }

    public void Step(string task, long step, string name, double value) => log?.Add(task, step, name, value);

    public void ZeroShotEvaluated(RunResults results, IReadOnlyList<Abstractions.Training.TaskScore> scores)
        => log?.Evaluation(0, results.Tasks, results.ZeroShot!);

    public void TaskEvaluated(TaskEvaluation evaluation)
    {
        log?.Evaluation(evaluation.GlobalStep, evaluation.Results.Tasks, evaluation.Results.AccuracyMatrix[^1]);
        log?.Metrics(evaluation.GlobalStep, evaluation.Results.Metrics!);
    }

    public void Completing(RunCompletion completion)
        => log?.Image("eval/accuracy-matrix", Path.Combine(completion.Directory, "accuracy-matrix.png"), completion.GlobalStep);

    public void Closed()
    {
        log?.Dispose();
        log = null;
    }
}
