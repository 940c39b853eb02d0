using System.Runtime.InteropServices;

namespace Coin.Engine.Running;

/// <summary>SIGINT (Ctrl+C) and SIGTERM (what Slurm and Kubernetes send before they kill a job) cancel a token that
/// the trainer and the evaluator check between steps, so the run saves a checkpoint at a step boundary and exits with
/// 130 or 143. A second Ctrl+C is left to the runtime's default and ends the process at once (checkpoints are
/// written through renames, so the last complete one survives that too); further SIGTERMs are ignored.</summary>
public sealed class RunCancellation : IDisposable
{
    public const int InterruptedExitCode = 130;
    public const int TerminatedExitCode = 143;
    public const int HangUpExitCode = 129;

    private readonly CancellationTokenSource source = new();
    private readonly List<PosixSignalRegistration> registrations = [];
    private volatile string? signal;

    public CancellationToken Token => source.Token;

    /// <summary>"SIGINT", "SIGTERM" or "SIGHUP" once one arrived; null before.</summary>
    public string? Signal => signal;

    /// <summary>The exit code of a run stopped by the signal that came.</summary>
    public int ExitCode => signal switch { "SIGTERM" => TerminatedExitCode, "SIGHUP" => HangUpExitCode, _ => InterruptedExitCode };

    /// <summary>Listens for SIGINT and SIGTERM until disposed.</summary>
    public static RunCancellation Install()
    {
        var cancellation = new RunCancellation();
        cancellation.registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, cancellation.Handle));
        cancellation.registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, cancellation.Handle));
        // A closed terminal (or an ssh session that drops) sends SIGHUP: stop as SIGTERM does, with a checkpoint.
        cancellation.registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGHUP, cancellation.Handle));
        return cancellation;
    }

    /// <summary>Cancels as a signal would (for tests and in-process callers).</summary>
    public void Request(string signalName)
    {
        signal ??= signalName;
        source.Cancel();
    }

    private void Handle(PosixSignalContext context)
    {
        // A second Ctrl+C ends the process now (default handling). A repeated SIGTERM is ignored: schedulers and process
        // pools send it to every process of a job, and often twice (the job's script forwards it too), and the
        // checkpoint it asked for must not be cut short.
        if (signal is not null && context.Signal == PosixSignal.SIGINT) return;
        context.Cancel = true;
        if (signal is not null) return;
        Request(context.Signal switch { PosixSignal.SIGTERM => "SIGTERM", PosixSignal.SIGHUP => "SIGHUP", _ => "SIGINT" });
    }

    public void Dispose()
    {
        registrations.ForEach(r => r.Dispose());
        source.Dispose();
    }
}
