using System.Diagnostics;
using System.Text.Json;
using Coin.Host.Journal;
using Coin.Tests.Support;

namespace Coin.Tests.Journal;

/// <summary>The lock file that claims a run folder or a base-model cache entry.</summary>
public class OwnerLockTests
{
    [Test]
    public void Only_one_of_two_creators_gets_the_lock_and_the_other_learns_who_has_it()
    {
        string path = Path.Combine(TestPaths.NewTemporaryDirectory("lock"), "run.lock");
        using var first = OwnerLock.TryCreate(path, out _);
        Assert.That(first, Is.Not.Null);
        Assert.That(OwnerLock.TryCreate(path, out var holder), Is.Null);
        Assert.That(holder!.Pid, Is.EqualTo(Environment.ProcessId));
        Assert.That(OwnerLock.TryAcquire(path, out _), Is.Null, "a live owner is respected");
        first!.Dispose();
        Assert.That(File.Exists(path), Is.False, "released");
    }

    [Test]
    public void A_lock_left_by_a_dead_process_is_taken_over()
    {
        string path = Path.Combine(TestPaths.NewTemporaryDirectory("lock"), "run.lock");
        using var exited = Process.Start(new ProcessStartInfo("true"))!;
        exited.WaitForExit();
        File.WriteAllText(path, JsonSerializer.Serialize(new OwnerLock.Owner(Environment.MachineName, exited.Id, DateTime.UtcNow.AddMinutes(-1))));
        using var taken = OwnerLock.TryAcquire(path, out _);
        Assert.That(taken, Is.Not.Null);
        Assert.That(File.ReadAllText(path), Does.Contain($"\"Pid\":{Environment.ProcessId}"));
    }

    [Test]
    public void A_lock_from_another_host_is_respected()
    {
        string path = Path.Combine(TestPaths.NewTemporaryDirectory("lock"), "run.lock");
        File.WriteAllText(path, JsonSerializer.Serialize(new OwnerLock.Owner("some-other-node", 1, DateTime.UtcNow)));
        Assert.That(OwnerLock.TryAcquire(path, out var holder), Is.Null);
        Assert.That(holder!.ToString(), Is.EqualTo("process 1 on some-other-node"));
    }

    [Test]
    public void Many_runs_claiming_the_same_name_in_the_same_second_get_distinct_folders()
    {
        string output = TestPaths.NewTemporaryDirectory("claims");
        var journals = new RunJournal[8];
        Parallel.For(0, journals.Length, i => journals[i] = RunJournal.Create(output, "same", "{}"));
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
