using System.Diagnostics;
using Coin.Engine.Configuration;
using Coin.Engine.Journal;
using Coin.Tests.Support;

namespace Coin.Tests.Journal;

/// <summary>The kernel-held lock that claims a run folder or a base-model cache entry.</summary>
public class OwnerLockTests
{
    [Test]
    public void Only_one_holder_at_a_time_and_the_other_learns_who_has_it()
    {
        string path = Path.Combine(TestPaths.NewTemporaryDirectory("lock"), "run.lock");
        using var first = OwnerLock.TryAcquire(path, out _);
        Assert.That(first, Is.Not.Null);
        Assert.That(OwnerLock.TryAcquire(path, out var holder), Is.Null);
        Assert.That(holder!.Pid, Is.EqualTo(Environment.ProcessId));
        Assert.That(OwnerLock.IsHeld(path, out _), Is.True);
        first!.Dispose();
        Assert.That(OwnerLock.IsHeld(path, out _), Is.False, "released");
        using var second = OwnerLock.TryAcquire(path, out _);
        Assert.That(second, Is.Not.Null);
    }

    [Test]
    public void A_lock_held_by_a_process_that_is_killed_is_free_at_once()
    {
        string path = Path.Combine(TestPaths.NewTemporaryDirectory("lock"), "run.lock");
        // util-linux flock(1) takes the same kernel lock (flock(2)) that .NET takes for FileShare.None; --close keeps it
        // in flock itself, not in the sleep it starts.
        using var holder = Process.Start(new ProcessStartInfo("flock", ["--close", "-x", path, "sleep", "60"]))!;
        var clock = Stopwatch.StartNew();
        while (!OwnerLock.IsHeld(path, out _) && clock.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(20);
        Assert.That(OwnerLock.TryAcquire(path, out _), Is.Null, "held while the other process lives");
        holder.Kill(entireProcessTree: true);
        holder.WaitForExit();
        using var taken = OwnerLock.TryAcquire(path, out _);
        Assert.That(taken, Is.Not.Null, "no stale lock: the kernel released it with the process");
    }

    [Test]
    public void Many_runs_claiming_the_same_name_in_the_same_second_get_distinct_folders()
    {
        string output = TestPaths.NewTemporaryDirectory("claims");
        var journals = new RunJournal[8];
        Parallel.For(0, journals.Length, i => journals[i] = RunJournal.Create(output, "same", "{}", new ExperimentSource("test", output)));
        try
        {
            Assert.That(journals.Select(j => j.Directory).Distinct().Count(), Is.EqualTo(journals.Length));
            Assert.That(Directory.GetDirectories(output), Has.Length.EqualTo(journals.Length));
        }
        finally
        {
            foreach (var journal in journals) journal.Dispose();
        }
    }
}
