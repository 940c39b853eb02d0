namespace Coin.Tests.Build;

/// <summary>The engine is a library that a notebook or a service can use: no console, no argument parsing, no host
/// (docs/architecture.md, "Engine and host"). The project reference already keeps the host out of it; this keeps
/// the console and the command line out too.</summary>
public class EngineBoundaryTests
{
    [Test]
    public void The_engine_references_no_console_no_command_line_and_no_host()
    {
        var references = typeof(Coin.Engine.Running.ExperimentRunner).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.That(references, Does.Contain("Coin.Abstractions"), "the reader sees the engine's references");
        foreach (string outside in new[] { "Spectre.Console", "System.CommandLine", "Microsoft.Extensions.Hosting", "coin" })
            Assert.That(references, Does.Not.Contain(outside));
    }

    [Test]
    public void Every_engine_folder_is_below_every_host_folder()
    {
        var folders = HostFolderGraph.Folders();
        foreach (var (folder, uses) in HostFolderGraph.Edges().Where(e => folders[e.Key] == "Coin.Engine"))
            Assert.That(uses.Where(u => folders[u] == "Coin.Host"), Is.Empty, $"engine folder {folder} names a host folder");
    }
}
