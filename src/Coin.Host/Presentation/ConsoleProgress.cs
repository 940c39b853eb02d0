using System.Diagnostics;
using Coin.Engine.Running;
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

    /// <summary>Units a second, or seconds a unit when units take longer than 10 s each (a 7B step: "355 s/step",
    /// not "0.0 steps/s").</summary>
    private static string Rate(double done, double seconds, string unit)
        => seconds <= 0 || done <= 0 ? "" : done / seconds >= 0.1 ? $"{done / seconds:F1} {unit}/s" : $"{seconds / done:F0} s/{Singular(unit)}";

    private static string Singular(string unit) => unit.EndsWith('s') ? unit[..^1] : unit;

    private sealed class SpectreSink(ProgressTask task, string title, string unit) : IProgressSink
    {
        private readonly Stopwatch clock = Stopwatch.StartNew();

        private int resumed;

        public void Resumed(int units)
        {
            resumed += units;
            task.Increment(units);
            task.Description = Markup.Escape($"{title}  resumed");
        }

        public void Advance(int units, string status)
        {
            task.Increment(units);
            task.Description = Markup.Escape($"{title}  {status}  {Rate(task.Value - resumed, clock.Elapsed.TotalSeconds, unit)}");
        }
    }

    private sealed class LineSink : IProgressSink, IDisposable
    {
        private readonly IAnsiConsole console;
        private readonly string title, unit;
        private readonly int total;
        private readonly Stopwatch clock = Stopwatch.StartNew();
        // A thread of its own that looks every second, not a thread-pool timer: at 7B, with libtorch's threads busy on
        // both cores, timer callbacks arrived late and every other 15 s line was lost.
        private readonly Thread heartbeat;
        private readonly ManualResetEventSlim stopped = new();
        private readonly Lock gate = new();
        private int done, resumed;
        private int nextReport;
        private string lastStatus = "";
        private TimeSpan lastLine, lastAdvance;

        public LineSink(IAnsiConsole console, string title, int total, string unit)
        {
            (this.console, this.title, this.total, this.unit) = (console, title, total, unit);
            nextReport = Math.Max(1, total / 10);
            heartbeat = new Thread(() => { while (!stopped.Wait(TimeSpan.FromSeconds(1))) Beat(); }) { IsBackground = true, Name = "progress heartbeat" };
            heartbeat.Start();
        }

        public void Resumed(int units)
        {
            lock (gate)
            {
                done += units;
                resumed += units;
                lastStatus = "resumed";
                Write($"  {title}: {done}/{total} {unit}  resumed");
            }
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
                int measured = done - resumed;
                double eta = measured > 0 ? seconds / measured * (total - done) : 0;
                Write($"  {title}: {done}/{total} {unit}  {status}  {Rate(measured, seconds, unit)}  ETA {eta:F0}s");
            }
        }

        /// <summary>A line while one unit takes long: how long it has run, and the ETA at the rate so far.</summary>
        private void Beat()
        {
            lock (gate)
            {
                if (done >= total || clock.Elapsed - lastLine < Heartbeat) return;
                double seconds = clock.Elapsed.TotalSeconds;
                double running = (clock.Elapsed - lastAdvance).TotalSeconds;
                int measured = done - resumed;
                string eta = measured > 0 ? $"ETA {Math.Max(0, lastAdvance.TotalSeconds / measured * (total - done) - running):F0}s" : "ETA unknown until the first one ends";
                Write($"  {title}: {done}/{total} {unit}  {lastStatus}  (number {done + 1} running for {running:F0}s)  {eta}");
            }
        }

        private void Write(string line)
        {
            lastLine = clock.Elapsed;
            console.WriteLine(line);
        }

        public void Dispose()
        {
            stopped.Set();
            heartbeat.Join();
            stopped.Dispose();
        }
    }
}
