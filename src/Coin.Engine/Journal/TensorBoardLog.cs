using Coin.Engine.Results;

namespace Coin.Engine.Journal;

/// <summary>A TensorBoard event file in <c>{run}/tensorboard/</c> (<see cref="TensorBoardEventFile"/>), with tags as TensorBoard's own writers name them:
/// every step-log scalar as <c>train/{name}</c> (the base model's first stage as <c>pretrain/{name}</c>) at its step;
/// each evaluation's accuracy per task as <c>eval/{task}</c> and their mean as <c>eval/mean</c> at the step it
/// followed (0 for the zero-shot row); the continual metrics as <c>continual/{metric}</c> after each task; the
/// accuracy-matrix heatmap as the image <c>eval/accuracy-matrix</c> at the end.</summary>
/// <remarks>The events are derived from the journal: <see cref="Open"/> writes the folder afresh from steps.csv and
/// the results as the run folder holds them (after a resume's rollback to its checkpoint), then the run continues
/// live. So the event file never holds steps a resumed run rolled back and redid.</remarks>
public sealed class TensorBoardLog : IDisposable
{
    public const string Folder = "tensorboard";
    private readonly TensorBoardEventFile writer;

    private TensorBoardLog(string folder) => writer = new TensorBoardEventFile(folder);

    /// <summary>Empties <c>{run}/tensorboard/</c> and writes what the run folder holds so far.</summary>
    public static TensorBoardLog Open(string runDirectory, StepLog steps, RunResults results)
    {
        string folder = Path.Combine(runDirectory, Folder);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
        var log = new TensorBoardLog(folder);
        foreach (var (task, step, name, value) in steps.Rows) log.Add(task, step, name, value);
        if (results.ZeroShot is { } zeroShot) log.Evaluation(0, results.Tasks, zeroShot);
        long globalStep = 0;
        for (int row = 0; row < results.AccuracyMatrix.Count && row < results.Training.Count; row++)
        {
            globalStep += results.Training[row].Steps;
            log.Evaluation(globalStep, results.Tasks, results.AccuracyMatrix[row]);
            log.Metrics(globalStep, ContinualMetrics.Compute(results.AccuracyMatrix.Take(row + 1).ToList(), results.ZeroShot));
        }
        return log;
    }

    public void Add(string task, long step, string name, double value)
        => writer.Scalar($"{(BaseStageRows.IsBaseStage(task) ? task : "train")}/{name}", (float)value, step);

    /// <summary>One row of the accuracy matrix (or the zero-shot row), in percent.</summary>
    public void Evaluation(long globalStep, IReadOnlyList<string> tasks, IReadOnlyList<double> accuracies)
    {
        for (int i = 0; i < tasks.Count && i < accuracies.Count; i++) writer.Scalar($"eval/{tasks[i]}", (float)accuracies[i], globalStep);
        writer.Scalar("eval/mean", (float)accuracies.Take(tasks.Count).Average(), globalStep);
    }

    public void Metrics(long step, ContinualMetrics metrics)
    {
        writer.Scalar("continual/ACC", (float)metrics.FinalAverageAccuracy, step);
        writer.Scalar("continual/MAA", (float)metrics.MeanAverageAccuracy, step);
        writer.Scalar("continual/BWT", (float)metrics.BackwardTransfer, step);
        writer.Scalar("continual/forgetting", (float)metrics.Forgetting, step);
        writer.Scalar("continual/plasticity", (float)metrics.Plasticity, step);
        if (metrics.ForwardTransfer is { } fwt) writer.Scalar("continual/FWT", (float)fwt, step);
    }

    /// <summary>A PNG the run wrote (the accuracy-matrix heatmap), as an image event.</summary>
    public void Image(string tag, string pngPath, long globalStep)
    {
        if (File.Exists(pngPath)) writer.Image(tag, File.ReadAllBytes(pngPath), globalStep);
    }

    public void Dispose() => writer.Dispose();
}
