using Coin.Host.Runtime;

namespace Coin.Tests.Running;

/// <summary>The warning that other processes keep the cores busy (docs/performance.md, "Threads under contention").</summary>
public sealed class ContentionWarningTests
{
    [TestCase(2, 1.0, 2, true, TestName = "Two threads beside one busy process on two cores are warned of")]
    [TestCase(1, 1.0, 2, false, TestName = "One thread beside one busy process is not")]
    [TestCase(2, 0.2, 2, false, TestName = "Two threads on an idle machine are not")]
    [TestCase(4, 1.0, 8, false, TestName = "Four threads on eight cores with one busy are not")]
    [TestCase(8, 1.0, 8, true, TestName = "Eight threads on eight cores with one busy are")]
    [TestCase(2, null, 2, false, TestName = "Without a load average nothing is said")]
    public void Busy_cores_are_named_only_when_the_threads_exceed_what_is_left(int threads, double? load, int cores, bool warned)
    {
        string? warning = TorchRuntime.ContentionWarning(threads, load, cores);
        Assert.That(warning is not null, Is.EqualTo(warned), warning);
        if (warned) Assert.That(warning, Does.Contain($"with {threads} threads").And.Contain("set threads in the experiment"));
    }
}
