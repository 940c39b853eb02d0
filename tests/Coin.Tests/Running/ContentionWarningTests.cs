using Coin.Engine.Runtime;

namespace Coin.Tests.Running;

/// <summary>The warning that other processes keep the cores busy (docs/performance.md, "Threads under contention").</summary>
public sealed class ContentionWarningTests
{
    [TestCase(2, 1.0, 2, true, TestName = "Two threads beside one busy process on two cores are warned of")]
    [TestCase(1, 1.0, 2, false, TestName = "One thread beside one busy process is not")]
    [TestCase(2, 0.2, 2, false, TestName = "Two threads on an idle machine are not")]
    [TestCase(4, 1.0, 8, false, TestName = "Four threads on eight cores with one busy are not")]
    [TestCase(8, 1.0, 8, true, TestName = "Eight threads on eight cores with one busy are")]
    [TestCase(2, null, 2, false, TestName = "Without a measurement nothing is said")]
    public void Busy_cores_are_named_only_when_the_threads_exceed_what_is_left(int threads, double? load, int cores, bool warned)
    {
        string? warning = TorchRuntime.ContentionWarning(threads, load, cores);
        Assert.That(warning is not null, Is.EqualTo(warned), warning);
        if (warned) Assert.That(warning, Does.Contain($"keep {load:F1} of {cores} cores busy").And.Contain($"with {threads} threads").And.Contain("set threads in the experiment"));
    }

    [Test, NonParallelizable]
    public void A_process_spinning_now_is_measured_and_one_that_has_ended_is_not()
    {
        // A busy sibling for the measurement's quarter second (a shell loop), then none: the load average would still
        // count it for a minute.
        using var sibling = System.Diagnostics.Process.Start("bash", ["-c", "end=$((SECONDS+3)); while [ $SECONDS -lt $end ]; do :; done"]);
        Thread.Sleep(300);
        string? during = TorchRuntime.ContentionWarning(Environment.ProcessorCount);
        sibling.WaitForExit();
        Thread.Sleep(300);
        string? after = TorchRuntime.ContentionWarning(Environment.ProcessorCount);
        if (Environment.ProcessorCount <= 2) Assert.That(during, Does.Contain("cores busy"), "one core spinning on a machine of two is named");
        Assert.That(after, Is.Null, "nothing spins any more");
    }
}
