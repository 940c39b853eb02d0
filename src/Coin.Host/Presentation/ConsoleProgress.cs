using System.Diagnostics;
using Coin.Host.Running;
using Spectre.Console;

namespace Coin.Host.Presentation;

/// <summary>A progress bar with rate and ETA on an interactive terminal; on a redirected one (CI, logs) a line at
/// every tenth of the work, so logs stay short but still show rate and ETA.</summary>
public static class ConsoleProgress
{
    public static T Run<T>(IAnsiConsole console, string title, int total, string unit, Func<IProgressSink, T> work)
    {
        if (console.Profile.Capabilities.Interactive)
        {
            return console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(),
                    new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(context =>
                {
                    var task = context.AddTask(Markup.Escape(title), maxValue: total);
                    return work(new SpectreSink(task, title, unit));
                });
        }
        return work(new LineSink(console, title, total, unit));
    }

    private static string Rate(double done, double seconds, string unit) => seconds > 0 ? $"{done / seconds:F1} {unit}/s" : "";

    private sealed class SpectreSink(ProgressTask task, string title, string unit) : IProgressSink
    {
        private readonly Stopwatch clock = Stopwatch.StartNew();

        public void Advance(int units, string status)
        {
            task.Increment(units);
            task.Description = Markup.Escape($"{title}  {status}  {Rate(task.Value, clock.Elapsed.TotalSeconds, unit)}");
        }
    }

    private sealed class LineSink(IAnsiConsole console, string title, int total, string unit) : IProgressSink
    {
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private int done;
        private int nextReport = Math.Max(1, total / 10);

        public void Advance(int units, string status)
        {
            done += units;
            if (done < nextReport && done < total) return;
            nextReport = done + Math.Max(1, total / 10);
            double seconds = clock.Elapsed.TotalSeconds;
            double eta = done > 0 ? seconds / done * (total - done) : 0;
            console.WriteLine($"  {title}: {done}/{total} {unit}  {status}  {Rate(done, seconds, unit)}  ETA {eta:F0}s");
        }
    }
}
