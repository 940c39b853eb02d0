using System.Diagnostics;
using System.Runtime.InteropServices;
using Spectre.Console;

namespace Coin.Host.Sweeps;

/// <summary><c>coin sweep run --local N</c>: every unfinished cell as its own <c>coin sweep run --cell I</c> process,
/// N at a time, the cores divided between them (or <c>resources.cpus</c> each), one log per cell. A signal to the pool
/// is passed on to the cells, which checkpoint; running the same command again resumes them.</summary>
public static class LocalPool
{
    public static int Run(SweepFile sweep, int parallel, IAnsiConsole console, CancellationToken cancellation)
    {
        var pending = SweepPlan.Cells(sweep).Where(c => CellState.Of(c).Status != CellStatus.Done).ToList();
        int threads = Math.Max(1, Math.Min(sweep.Resources.Cpus, Environment.ProcessorCount / parallel));
        string logs = Path.Combine(sweep.Directory, "logs");
        Directory.CreateDirectory(logs);
        console.MarkupLineInterpolated($"sweep {sweep.Name}: {pending.Count} cells to run, {parallel} at a time, {threads} threads each; logs in {logs}");
        var running = new List<(SweepCell Cell, Process Process, StreamWriter Log, Stopwatch Clock)>();
        var clock = Stopwatch.StartNew();
        int finished = 0, failed = 0;
        bool terminated = false;
        var queue = new Queue<SweepCell>(pending);
        while (queue.Count > 0 || running.Count > 0)
        {
            while (running.Count < parallel && queue.Count > 0 && !cancellation.IsCancellationRequested)
            {
                var cell = queue.Dequeue();
                var log = new StreamWriter(Path.Combine(logs, $"{cell.Name}.log"), append: true) { AutoFlush = true };
                running.Add((cell, Start(sweep, cell, threads, log), log, Stopwatch.StartNew()));
            }
            if (cancellation.IsCancellationRequested)
            {
                // Once each: a repeated SIGTERM would be ignored anyway, but one is what a cell needs to checkpoint.
                if (queue.Count > 0 || !terminated)
                    foreach (var (_, process, _, _) in running) Terminate(process);
                terminated = true;
                queue.Clear();
            }
            var done = running.FirstOrDefault(r => r.Process.HasExited);
            if (done.Process is null)
            {
                Thread.Sleep(200);
                continue;
            }
            running.Remove(done);
            done.Process.WaitForExit(); // the last lines of its output reach the log before it is closed
            done.Log.Dispose();
            finished++;
            var state = CellState.Of(done.Cell);
            if (state.Status != CellStatus.Done) failed++;
            double rate = finished / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
            int left = queue.Count + running.Count;
            string detail = state.Detail is { } d ? $" ({d})" : "";
            string eta = left > 0 ? $", ETA {TimeSpan.FromSeconds(left / rate):hh\\:mm\\:ss}" : "";
            console.WriteLine($"[{finished}/{pending.Count}] cell {done.Cell.Index} {done.Cell.Describe()}: {state.Status.ToString().ToLowerInvariant()}{detail}, " +
                              $"{done.Clock.Elapsed.TotalSeconds:F0} s; {left} left{eta}");
            done.Process.Dispose();
        }
        cancellation.ThrowIfCancellationRequested();
        return failed == 0 ? 0 : 1;
    }

    private static Process Start(SweepFile sweep, SweepCell cell, int threads, StreamWriter log)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string self = Environment.ProcessPath!;
        start.FileName = self;
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "coin.dll"));
        foreach (string arg in new[] { "sweep", "run", sweep.Path, "--cell", cell.Index.ToString() }) start.ArgumentList.Add(arg);
        start.Environment["COIN_THREADS"] = threads.ToString();
        var process = Process.Start(start)!;
        void Write(string? line)
        {
            if (line is null) return;
            lock (log) log.WriteLine(line);
        }
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>SIGTERM, so the cell checkpoints before it exits.</summary>
    private static void Terminate(Process process)
    {
        if (!process.HasExited) _ = Kill(process.Id, 15);
    }

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
