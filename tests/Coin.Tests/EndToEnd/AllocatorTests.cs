using Coin.Engine.Runtime;
using Coin.Tests.Support;

namespace Coin.Tests.EndToEnd;

/// <summary>The host runs under jemalloc where the machine has it (.ci/run installs Debian's libjemalloc2), and the
/// allocator changes how fast a run is, never what it computes.</summary>
[Parallelizable(ParallelScope.Self)]
public sealed class AllocatorTests
{
    [Test]
    public void A_run_under_jemalloc_writes_what_a_run_under_glibc_writes()
    {
        if (CachingAllocator.FindLibrary() is null) Assert.Ignore("libjemalloc.so.2 is not installed (.ci/run installs it)");
        string directory = TestPaths.NewTemporaryDirectory("allocator");
        string experiment = CoinProcess.WriteQuickExperiment(directory);
        var jemalloc = CoinProcess.Run(directory, "run", experiment, "--output", "jemalloc");
        var glibc = CoinProcess.RunWith(new Dictionary<string, string> { [CachingAllocator.ChoiceVariable] = "glibc" }, directory, "run", experiment, "--output", "glibc");
        Assert.That(jemalloc.ExitCode, Is.EqualTo(0), jemalloc.ToString());
        Assert.That(glibc.ExitCode, Is.EqualTo(0), glibc.ToString());
        Assert.That(jemalloc.Output, Does.Contain("allocator: jemalloc (freed memory kept for reuse; huge pages"));
        Assert.That(glibc.Output, Does.Contain("allocator: glibc's default"));
        string Run(string output) => Directory.GetDirectories(Path.Combine(directory, output)).Single();
        foreach (string file in new[] { "steps.csv", "accuracy-matrix.csv" })
            Assert.That(File.ReadAllBytes(Path.Combine(Run("jemalloc"), file)), Is.EqualTo(File.ReadAllBytes(Path.Combine(Run("glibc"), file))), file);
    }

    [Test]
    public void An_allocator_choice_that_cannot_be_honoured_is_refused_before_anything_runs()
    {
        string directory = TestPaths.NewTemporaryDirectory("allocator");
        var typo = CoinProcess.RunWith(new Dictionary<string, string> { [CachingAllocator.ChoiceVariable] = "jemaloc" }, directory, "--version");
        Assert.That(typo.ExitCode, Is.EqualTo(2), typo.ToString());
        Assert.That(typo.Error, Does.Contain("COIN_ALLOCATOR='jemaloc': expected 'jemalloc'").And.Not.Contain("   at "));
        // The configuration reads COIN_* variables as keys and warns about those it does not know; this one is not.
        var glibc = CoinProcess.RunWith(new Dictionary<string, string> { [CachingAllocator.ChoiceVariable] = "glibc", ["COIN_NOT_A_KEY"] = "1" }, directory,
            "run", CoinProcess.WriteQuickExperiment(directory), "--plan");
        Assert.That(glibc.ExitCode, Is.EqualTo(0), glibc.ToString());
        Assert.That(glibc.Output + glibc.Error, Does.Contain("COIN_NOT_A_KEY").And.Not.Contain("COIN_ALLOCATOR"), "not a configuration key to warn about");
    }

    [Test]
    public void The_commands_that_relaunch_are_commands()
        => Assert.That(CachingAllocator.ComputeCommands, Is.SubsetOf(Coin.Host.Cli.CommandLine.Commands), "a renamed command would silently run under glibc");

    [Test]
    public void The_relaunch_preloads_jemalloc_and_keeps_the_users_values_for_child_processes()
    {
        var environment = CachingAllocator.Relaunched(["PATH=/usr/bin", "MALLOC_CONF=narenas:1", "A=b=c"], "/usr/lib/libjemalloc.so.2");
        Assert.That(environment, Does.Contain("LD_PRELOAD=/usr/lib/libjemalloc.so.2"));
        Assert.That(environment, Does.Contain("MALLOC_CONF=narenas:1"), "the user's jemalloc settings win");
        Assert.That(environment.Count(e => e.StartsWith("MALLOC_CONF=", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(environment, Does.Contain("THP_MEM_ALLOC_ENABLE=1"));
        Assert.That(environment, Does.Contain("A=b=c"));
        // What child processes get back: MALLOC_CONF as the user had it, the two added variables removed.
        Assert.That(environment, Does.Contain("COIN_ALLOCATOR_RELAUNCHED=LD_PRELOAD\nMALLOC_CONF=narenas:1\nTHP_MEM_ALLOC_ENABLE"));
        Assert.That(CachingAllocator.Relaunched(["PATH=/usr/bin"], "/l.so"), Does.Contain($"MALLOC_CONF={CachingAllocator.JemallocConfiguration}"));
    }
}
