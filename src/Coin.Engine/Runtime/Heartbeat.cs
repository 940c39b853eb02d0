namespace Coin.Engine.Runtime;

/// <summary>A line every <c>interval</c> while one long operation runs (loading a 7B model takes minutes): how long it
/// has run and what it holds, so a redirected log is never silent for more than ~15 s.</summary>
public sealed class Heartbeat : IDisposable
{
    private readonly Timer timer;
    private readonly System.Diagnostics.Stopwatch clock = System.Diagnostics.Stopwatch.StartNew();

    private Heartbeat(TimeSpan interval, Action<TimeSpan> beat)
        => timer = new Timer(_ => beat(clock.Elapsed), null, interval, interval);

    /// <summary>Calls <paramref name="beat"/> with the time elapsed every <paramref name="interval"/> until disposed.</summary>
    public static Heartbeat Every(TimeSpan interval, Action<TimeSpan> beat) => new(interval, beat);

    /// <summary>Every 15 s: "<paramref name="what"/>: N s, resident X GiB".</summary>
    public static Heartbeat Resident(string what, Action<string> write) => Every(TimeSpan.FromSeconds(15), elapsed =>
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        write($"{what}: {elapsed.TotalSeconds:F0} s, resident {process.WorkingSet64 / (double)(1L << 30):F2} GiB");
    });

    public void Dispose()
    {
        // Wait for a beat in flight, so that no line follows the operation's own.
        using var done = new ManualResetEvent(false);
        if (timer.Dispose(done)) done.WaitOne();
    }
}
