using System.Diagnostics;
using Coin.Host.Running;
using Spectre.Console;

namespace Coin.Host.Presentation;

/// <summary>A progress bar with rate and ETA on an interactive terminal; on a redirected one (CI, logs) a line at
/// every tenth of the work and whenever 15 s have passed, with rate and ETA — also while one long unit (a 7B training
/// step) is still running, so a log is never silent for more than about 15 s.</summary>
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
        using var sink = new LineSink(console, title, total, unit);
        return work(sink);
    }

    /// <summary>The longest a redirected log stays silent.</summary>
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

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

    private sealed class LineSink : IProgressSink, IDisposable
    {
        private readonly IAnsiConsole console;
        private readonly string title, unit;
        private readonly int total;
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private readonly Timer timer;
        private readonly Lock gate = new();
        private int done;
        private int nextReport;
        private string lastStatus = "";
        private TimeSpan lastLine, lastAdvance;

        public LineSink(IAnsiConsole console, string title, int total, string unit)
        {
            (this.console, this.title, this.total, this.unit) = (console, title, total, unit);
            nextReport = Math.Max(1, total / 10);
            timer = new Timer(_ => Beat(), null, Heartbeat, Heartbeat);
        }

        public void Advance(int units, string status)
        {
            lock (gate)
            {
                done += units;
                lastStatus = status;
                lastAdvance = clock.Elapsed;
                if (done < nextReport && done < total && clock.Elapsed - lastLine < Heartbeat) return;
                if (done >= nextReport) nextReport = done + Math.Max(1, total / 10);
                double seconds = clock.Elapsed.TotalSeconds;
                double eta = done > 0 ? seconds / done * (total - done) : 0;
                Write($"  {title}: {done}/{total} {unit}  {status}  {Rate(done, seconds, unit)}  ETA {eta:F0}s");
            }
        }

        /// <summary>A line while one unit takes long: how long it has run, and the ETA at the rate so far.</summary>
        private void Beat()
        {
            lock (gate)
            {
                // A second of slack: the timer fires every 15 s and would otherwise skip a beat that lands early.
                if (done >= total || clock.Elapsed - lastLine < Heartbeat - TimeSpan.FromSeconds(1)) return;
                double seconds = clock.Elapsed.TotalSeconds;
                double running = (clock.Elapsed - lastAdvance).TotalSeconds;
                string eta = done > 0 ? $"ETA {Math.Max(0, lastAdvance.TotalSeconds / done * (total - done) - running):F0}s" : "ETA unknown until the first one ends";
                Write($"  {title}: {done}/{total} {unit}  {lastStatus}  (number {done + 1} running for {running:F0}s)  {eta}");
            }
        }

        private void Write(string line)
        {
            lastLine = clock.Elapsed;
            console.WriteLine(line);
        }

        public void Dispose() => timer.Dispose();
    }
}
