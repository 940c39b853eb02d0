using Coin.Engine.Composition;
using Coin.Engine.Configuration;
using Coin.Engine.Plugins;
using Coin.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace Coin.Tests.Configuration;

/// <summary>Every experiment file shipped in experiments/ is valid: its keys, plugin names and options bind.</summary>
public class ShippedExperimentTests
{
    /// <summary>Every shipped experiment file, relative to the repository (the schema tests validate the same set).</summary>
    internal static IEnumerable<string> Files()
        => Directory.EnumerateFiles(Path.Combine(TestPaths.Root, "experiments"), "*.json", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(TestPaths.Root, f))
            // Generated data, run folders (git-ignored) and model folders' config.json may sit beside an experiment; they
            // are not experiments.
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "data" or "runs" or "sweeps" or "models"))
            .Where(f => Path.GetFileName(f) != "experiment.schema.json").Order();

    private static IEnumerable<string> Sweeps()
        => Directory.EnumerateFiles(Path.Combine(TestPaths.Root, "experiments", "sweeps"), "*.json")
            .Select(f => Path.GetRelativePath(TestPaths.Root, f)).Order();

    [TestCaseSource(nameof(Sweeps))]
    public void EveryCellOfAShippedSweepPlansWithoutErrors(string relativePath)
    {
        var sweep = Coin.Host.Sweeps.SweepFile.Load(Path.Combine(TestPaths.Root, relativePath));
        var catalog = PluginCatalog.Load([TestPaths.HostPlugins]);
        foreach (var cell in Coin.Host.Sweeps.SweepPlan.Cells(sweep))
        {
            var json = Coin.Host.Sweeps.SweepPlan.Experiment(sweep, cell);
            var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()))).Build();
            var experiment = new ExperimentLoader(configuration, new ExperimentSource($"{relativePath} cell {cell.Index}", sweep.Folder)).Load();
            Assert.That(ExperimentPlanner.Plan(experiment, catalog).All().Select(c => c.Plugin.Status), Has.All.EqualTo(PluginStatus.Loaded), cell.Describe());
        }
    }

    [TestCaseSource(nameof(Files))]
    public void PlansWithoutErrors(string relativePath)
    {
        string path = Path.Combine(TestPaths.Root, relativePath);
        // Read as the host reads it: a file that extends another is bound merged with it.
        var json = ExperimentFile.Read(path);
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()))).Build();
        var experiment = new ExperimentLoader(configuration, ExperimentSource.For(path)).Load();
        var plan = ExperimentPlanner.Plan(experiment, PluginCatalog.Load([TestPaths.HostPlugins]));
        Assert.That(plan.All().Select(c => c.Plugin.Status), Has.All.EqualTo(PluginStatus.Loaded));
    }
}
