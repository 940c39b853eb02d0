using Coin.Abstractions.Training;
using Coin.Engine.Journal;
using Coin.Engine.Results;
using Coin.Engine.Running;
using Spectre.Console;

namespace Coin.Host.Presentation;

/// <summary>A run on the terminal: its lines and warnings, a progress bar per phase (or, redirected, a line at least
/// every 15 s), each task's summary, and the accuracy matrix at the end.</summary>
public sealed class ConsoleObserver(IAnsiConsole console) : IRunObserver
{
    public void Info(string line) => console.WriteLine(line);

    public void Warning(string message) => console.MarkupLineInterpolated($"[yellow]warning:[/] {message}");

    public T Phase<T>(string title, int total, string unit, Func<IProgressSink, T> work) => ConsoleProgress.Run(console, title, total, unit, work);

    public IDisposable? Waiting(string what) => Coin.Engine.Runtime.Heartbeat.Resident("  " + what, line => console.WriteLine(line));

    public void Started(RunStart start)
    {
        console.MarkupLineInterpolated($"[bold]coin[/] {Coin.Engine.Runtime.BuildInfo.Version} · device [bold]{start.Device}[/] ({Coin.Engine.Runtime.BuildInfo.TorchBackend} backend, TorchSharp {Coin.Engine.Runtime.TorchRuntime.TorchSharpVersion}, {start.Threads} threads) · seed {start.Seed}");
        console.MarkupLineInterpolated($"experiment {start.Source} → {start.Directory}");
    }

    public void ZeroShotEvaluated(RunResults results, IReadOnlyList<TaskScore> scores)
        => console.MarkupLineInterpolated($"  zero-shot accuracy {Accuracies(results.Tasks, scores)}");

    public void TaskEvaluated(TaskEvaluation e)
    {
        var summary = e.Summary;
        console.MarkupLineInterpolated($"  [green]{e.Task}[/]: {summary.Steps} steps, loss {summary.FirstLoss:F3} → {summary.FinalLoss:F3}, {summary.Seconds:F1}s ({summary.InputSeconds:F1}s waiting for inputs); accuracy {Accuracies(e.Results.Tasks, e.Scores)}");
    }

    public void Completed(RunCompletion completion)
    {
        var results = completion.Results;
        console.Write(AccuracyMatrixTable.Build(results.Tasks, results.AccuracyMatrix, completion.Metric));
        if (results.Metrics is { } metrics) console.Write(AccuracyMatrixTable.Metrics(metrics));
        console.MarkupLineInterpolated($"results: {Path.Combine(completion.Directory, RunJournal.ResultsFileName)}; plots: {string.Join(", ", completion.Plots.Select(Path.GetFileName))}");
    }

    public void Interrupted(string stage, string directory)
        => console.MarkupLineInterpolated($"[yellow]interrupted[/] during {stage}; continue with: coin run --resume {directory}");

    private static string Accuracies(IReadOnlyList<string> tasks, IReadOnlyList<TaskScore> scores)
        => string.Join("  ", tasks.Zip(scores, (t, s) => $"{t} {s.Accuracy:F1}"));
}
