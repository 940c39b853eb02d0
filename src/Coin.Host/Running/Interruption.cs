namespace Coin.Host.Running;

/// <summary>Ctrl+C (SIGINT) asks the run to stop at the next step boundary instead of killing the process mid-write.
/// A second Ctrl+C is left to the runtime and ends the process at once.</summary>
public static class Interruption
{
    private static volatile bool requested;

    /// <summary>The task being trained or evaluated when the request came, for the message.</summary>
    public static string TaskName { get; set; } = "";

    public static void Install()
    {
        Console.CancelKeyPress += (_, e) =>
        {
            if (requested) return;
            requested = true;
            e.Cancel = true;
        };
    }

    /// <summary>Throws <see cref="OperationCanceledException"/> once Ctrl+C was pressed.</summary>
    public static void ThrowIfRequested()
    {
        if (requested) throw new OperationCanceledException("interrupted by Ctrl+C");
    }
}
