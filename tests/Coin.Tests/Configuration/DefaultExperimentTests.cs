using System.Text.Json;
using Coin.Engine.Composition;
using Coin.Engine.Configuration;
using Coin.Engine.Plugins;
using Coin.Engine.Results;
using Coin.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace Coin.Tests.Configuration;

/// <summary>experiments/default.json spells out the built-in default: it must resolve to what <c>coin run</c> with no
/// file runs, or the documentation lies.</summary>
public class DefaultExperimentTests
{
    private static string Resolve(IConfiguration configuration)
    {
        var experiment = new ExperimentLoader(configuration, new ExperimentSource("test", TestPaths.Root)).Load();
        var plan = ExperimentPlanner.Plan(experiment, PluginCatalog.Load([TestPaths.HostPlugins]));
        return ResolvedConfig.ToJson(experiment.Config, plan).ToJsonString();
    }

    [Test]
    public void TheShippedDefaultFileEqualsTheBuiltInDefault()
    {
        string file = Path.Combine(TestPaths.Root, "experiments", "default.json");
        var fromFile = Resolve(new ConfigurationBuilder().AddJsonFile(file).Build());
        var builtIn = Resolve(new ConfigurationBuilder().Build());
        Assert.That(JsonDocument.Parse(fromFile).RootElement.ToString(), Is.EqualTo(JsonDocument.Parse(builtIn).RootElement.ToString()));
        Assert.That(fromFile, Is.EqualTo(builtIn));
    }
}
