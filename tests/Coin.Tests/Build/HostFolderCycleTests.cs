using Coin.Tests.Support;

namespace Coin.Tests.Build;

/// <summary>Engine and host are meant to be layers (docs/architecture.md, "Engine and host"). Some still use
/// each other; this test holds that list as a ratchet: a new mutual dependency fails here, and one that is removed
/// must be taken off the list (and off the page) too, so the page says what the code is.</summary>
public class HostFolderCycleTests
{
    /// <summary>The folders that use each other today, as architecture.md lists them: none since the run loop
    /// publishes its events to observers (2026-12-07).</summary>
    private static readonly string[] Known = [];

    [Test]
    public void No_folder_pair_uses_each_other_beyond_the_known_ones()
    {
        var pairs = HostFolderGraph.MutualPairs();
        Assert.That(pairs.Except(Known), Is.Empty, "a new pair of host folders that use each other");
        Assert.That(Known.Except(pairs), Is.Empty, "pairs that no longer use each other: take them off this list and docs/architecture.md");
    }

    [Test]
    public void The_architecture_page_lists_the_same_pairs()
    {
        string page = File.ReadAllText(Path.Combine(TestPaths.Root, "docs", "architecture.md"));
        foreach (string pair in Known) Assert.That(page, Does.Contain(pair), "docs/architecture.md, Engine and host");
    }

    [Test]
    public void The_architecture_pages_table_of_uses_is_what_the_source_uses()
    {
        string page = File.ReadAllText(Path.Combine(TestPaths.Root, "docs", "architecture.md"));
        foreach (var (folder, uses) in HostFolderGraph.Edges().Where(e => e.Value.Count > 0))
        {
            string row = $"| {folder} | {string.Join(", ", uses.Order(StringComparer.Ordinal))} |";
            Assert.That(page, Does.Contain(row), "docs/architecture.md, Engine and host: the row of " + folder);
        }
    }

    [Test]
    public void The_reader_sees_a_using_directive_a_qualified_name_and_a_sibling_reference()
    {
        var edges = HostFolderGraph.Edges();
        Assert.That(edges["Running"], Does.Contain("Runtime"), "StreamSession calls Runtime.CachingAllocator");
        Assert.That(edges["Cli"], Does.Contain("Configuration"));
        Assert.That(edges["Runtime"], Does.Not.Contain("Cli"));
    }
}
