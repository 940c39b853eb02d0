using Coin.Abstractions.Plugins;
using Coin.Engine.Plugins;
using Coin.Tests.Support;

namespace Coin.Tests.Plugins;

/// <summary>Discovery loads each plugin folder on its own: a broken folder or export is listed as failed with its
/// reason while every other plugin still loads.</summary>
public class PluginDiscoveryTests
{
    private static readonly string[] BuiltIns =
        ["llama", "tiny-cnn", "clip-vit", "whisper", "linear", "mlp2x-gelu", "full", "frozen", "lora", "dora", "olora", "lora-bank", "moelora", "constant", "feature-decay", "language-decay", "commit-lr", "commit", "sequential", "independent", "ema", "llaca", "replay", "ewc", "lwf", "si", "agem", "multitask", "exact-match", "coin", "coin-judge", "captions", "shapes", "mini-coin", "coin-files"];

    private static string FixturePluginDirectory(params string[] fixtures)
    {
        string directory = TestPaths.NewTemporaryDirectory("plugins");
        foreach (string fixture in fixtures) TestPaths.CopyDirectory(Path.Combine(TestPaths.Fixtures, fixture), Path.Combine(directory, fixture));
        return directory;
    }

    private static PluginDescriptor Single(PluginCatalog catalog, string name) => catalog.Plugins.Single(p => p.Name == name);

    [Test]
    public void EveryBuiltInPluginLoads()
    {
        var catalog = PluginCatalog.Load([TestPaths.HostPlugins]);
        Assert.That(catalog.Plugins.Where(p => p.Status == PluginStatus.Failed).Select(p => $"{p.Name}: {p.Error}"), Is.Empty);
        Assert.That(catalog.Plugins.Select(p => p.Name), Is.EquivalentTo(BuiltIns));
        Assert.That(catalog.Plugins.All(p => p.ContractVersion == CoinContract.Version && p.Factory is not null));
    }

    [Test]
    public void BrokenExportsFailWithTheirReasonAndTheRestOfTheFolderLoads()
    {
        var catalog = PluginCatalog.Load([FixturePluginDirectory("Coin.Fixtures.FaultyPlugins")]);
        Assert.That(Single(catalog, "always-right").Status, Is.EqualTo(PluginStatus.Loaded));
        Assert.That(Single(catalog, "throws-in-constructor").Error, Does.Contain("fixture constructor failure"));
        Assert.That(Single(catalog, "future-contract").Error, Is.EqualTo($"built for contract 3.0, this host provides contract {CoinContract.Version}"));
        Assert.That(Single(catalog, "old-contract").Error, Does.StartWith($"built for contract 1.3, this host provides contract {CoinContract.Version}: the contracts changed incompatibly at 2.0; rebuild"));
        Assert.That(Single(catalog, "wrong-kind").Error, Does.Contain("declared as encoder but creates IEvaluator"));
    }

    [Test]
    public void A_component_carrying_the_attribute_is_its_own_factory_and_a_misshapen_one_fails_with_why()
    {
        var catalog = PluginCatalog.Load([FixturePluginDirectory("Coin.Fixtures.FaultyPlugins")]);
        var context = new ComponentContext { Device = TorchSharp.torch.CPU, Seed = 7, RunDirectory = "", ResolvePath = p => p };

        var withOptions = Single(catalog, "component-with-options");
        Assert.That(withOptions.Status, Is.EqualTo(PluginStatus.Loaded), withOptions.Error);
        Assert.That(withOptions.Factory!.ComponentType, Is.EqualTo(typeof(Coin.Abstractions.Training.IEvaluator)));
        Assert.That(withOptions.Factory.OptionsType.Name, Is.EqualTo("PrefixOptions"));
        var options = Activator.CreateInstance(withOptions.Factory.OptionsType)!;
        withOptions.Factory.OptionsType.GetProperty("Prefix")!.SetValue(options, "x-");
        var evaluator = (Coin.Abstractions.Training.IEvaluator)withOptions.Factory.Create(options, context);
        Assert.That(evaluator.Metric, Is.EqualTo("x-seed-7"), "constructed with the bound options and the run's context");

        var withoutOptions = Single(catalog, "component-without-options");
        Assert.That(withoutOptions.Factory!.OptionsType, Is.EqualTo(typeof(NoOptions)));
        Assert.That(((Coin.Abstractions.Training.IEvaluator)withoutOptions.Factory.Create(new NoOptions(), context)).Metric, Is.EqualTo("plain"));

        // The component's own refusal reaches the user as itself, not as reflection's wrapper.
        var throws = Single(catalog, "component-throws");
        var refused = Assert.Throws<CoinUserException>(() => throws.Factory!.Create(Activator.CreateInstance(throws.Factory.OptionsType)!, context));
        Assert.That(refused!.Message, Is.EqualTo("prefix '' is not allowed here"));

        Assert.That(Single(catalog, "component-two-constructors").Error, Does.Contain("ComponentWithTwoConstructors has 2 public constructors"));
        Assert.That(Single(catalog, "component-wrong-kind").Error, Does.Contain("ComponentOfTheWrongKind is declared as a continual plugin but does not implement IContinualUpdater"));
        Assert.That(Single(catalog, "component-string-parameter").Error, Does.Contain("parameter 'name' (String) is not an options class"));
        Assert.That(Single(catalog, "component-open-generic").Error, Does.Contain("OpenGenericComponent`1 is an open generic class"),
            "MEF cannot compose it; the rest of its folder still loads");
        Assert.That(Single(catalog, "always-right").Status, Is.EqualTo(PluginStatus.Loaded), "factories and components load side by side");
    }

    [Test]
    public void Components_and_factories_are_composed_by_MEF_alike()
    {
        var catalog = PluginCatalog.Load([TestPaths.HostPlugins]);
        // A component carrying [CoinPlugin] is composed through its factory part, ComponentFactory<T>, which MEF
        // exports under the attribute's metadata; a factory class is its own export.
        var sequential = Single(catalog, "sequential").Factory!;
        Assert.That(sequential.GetType().GetGenericTypeDefinition(), Is.EqualTo(typeof(ComponentFactory<>)));
        Assert.That(sequential.GetType().GetGenericArguments()[0].Name, Is.EqualTo("SequentialUpdater"));
        Assert.That(Single(catalog, "llama").Factory!.GetType().Name, Is.EqualTo("LlamaBackbonePlugin"));
        Assert.That(Single(catalog, "lora").Factory!.GetType().GetGenericArguments()[0].Name, Is.EqualTo("LoraAdapter"), "a variant of a shared class is a one-line subclass");
        var described = Single(catalog, "independent");
        Assert.That((described.Kind, described.Version, described.Description, described.ContractVersion, described.Status),
            Is.EqualTo((PluginKind.ContinualUpdater, "0.1.0", "Every task trained alone from the starting weights: single-task reference accuracy", CoinContract.Version, PluginStatus.Loaded)),
            "the export's metadata is the component's attribute");
        Assert.That(described.Capabilities, Is.EqualTo(new[] { PluginCapabilities.ExtraMemoryPrefix + "1x", PluginCapabilities.FixedTrainableSet }));
        Assert.That((described.Checked.ExtraMemoryMultiple, described.Checked.FixedTrainableSet, described.Checked.Ignored.Count), Is.EqualTo((1.0, true, 0)));

        // A fixture's capabilities that the host cannot read or does not check are kept, with why, for the warning.
        var odd = Single(PluginCatalog.Load([FixturePluginDirectory("Coin.Fixtures.FaultyPlugins")]), "odd-capabilities");
        Assert.That(odd.Status, Is.EqualTo(PluginStatus.Loaded), odd.Error);
        Assert.That(odd.Checked.ExtraMemoryMultiple, Is.EqualTo(1.0));
        Assert.That(odd.Checked.Ignored.Select(i => i.Capability), Is.EqualTo(new[] { "extra-memory:lots", "mergeable" }));
    }

    [Test]
    public void AMissingDependencyFailsItsFolderOnly()
    {
        string directory = FixturePluginDirectory("Coin.Fixtures.NeedsDependency", "Coin.Fixtures.FaultyPlugins");
        File.Delete(Path.Combine(directory, "Coin.Fixtures.NeedsDependency", "Coin.Fixtures.Dependency.dll"));
        var catalog = PluginCatalog.Load([TestPaths.HostPlugins, directory]);
        var failed = Single(catalog, "Coin.Fixtures.NeedsDependency");
        Assert.That(failed.Status, Is.EqualTo(PluginStatus.Failed));
        Assert.That(failed.Error, Does.Contain("Coin.Fixtures.Dependency"));
        Assert.That(catalog.Plugins.Where(p => BuiltIns.Contains(p.Name)).Select(p => p.Status), Has.All.EqualTo(PluginStatus.Loaded));
        Assert.That(Single(catalog, "always-right").Status, Is.EqualTo(PluginStatus.Loaded));
    }

    [Test]
    public void ACompleteDependencyLoads()
    {
        var catalog = PluginCatalog.Load([FixturePluginDirectory("Coin.Fixtures.NeedsDependency")]);
        Assert.That(Single(catalog, "needs-dependency").Status, Is.EqualTo(PluginStatus.Loaded));
    }

    [Test]
    public void ACorruptAssemblyFailsItsFolderWithTheFileName()
    {
        string directory = TestPaths.NewTemporaryDirectory("plugins");
        Directory.CreateDirectory(Path.Combine(directory, "Coin.Broken"));
        File.WriteAllBytes(Path.Combine(directory, "Coin.Broken", "Coin.Broken.dll"), [0x4d, 0x5a, 1, 2, 3, 4, 5]);
        var catalog = PluginCatalog.Load([TestPaths.HostPlugins, directory]);
        var failed = Single(catalog, "Coin.Broken");
        Assert.That(failed.Status, Is.EqualTo(PluginStatus.Failed));
        Assert.That(failed.Error, Does.StartWith("Coin.Broken.dll is not a valid .NET assembly"));
        Assert.That(catalog.Plugins.Count(p => p.Status == PluginStatus.Loaded), Is.EqualTo(BuiltIns.Length));
    }

    [Test]
    public void ANamedDirectoryFromWhichNoPluginLoadsIsRefusedForUse()
    {
        string directory = TestPaths.NewTemporaryDirectory("plugins");
        Directory.CreateDirectory(Path.Combine(directory, "Coin.Broken"));
        File.WriteAllBytes(Path.Combine(directory, "Coin.Broken", "Coin.Broken.dll"), [0x4d, 0x5a, 1, 2, 3, 4, 5]);
        var error = Assert.Throws<CoinUserException>(() => PluginCatalog.LoadForUse([directory]));
        Assert.That(error!.Message, Does.StartWith($"plugin directory '{directory}': no plugin loads from it ({Path.Combine(directory, "Coin.Broken")}: Coin.Broken.dll is not a valid .NET assembly"));
        string empty = TestPaths.NewTemporaryDirectory("plugins");
        Assert.That(Assert.Throws<CoinUserException>(() => PluginCatalog.LoadForUse([empty]))!.Message, Is.EqualTo($"plugin directory '{empty}': no plugin loads from it (it has no plugin folder)"));

        // A directory where one folder loads is used, its failures listed by `coin plugins`.
        TestPaths.CopyDirectory(Path.Combine(TestPaths.Fixtures, "Coin.Fixtures.FaultyPlugins"), Path.Combine(directory, "Coin.Fixtures.FaultyPlugins"));
        Assert.That(PluginCatalog.LoadForUse([directory]).Plugins.Any(p => p.Status == PluginStatus.Loaded));
    }

    [Test]
    public void TwoFoldersWithTheSameKindAndNameAreAnErrorNamingBoth()
    {
        string first = FixturePluginDirectory("Coin.Fixtures.FaultyPlugins");
        string second = FixturePluginDirectory("Coin.Fixtures.FaultyPlugins");
        var catalog = PluginCatalog.Load([first, second]);
        var conflict = catalog.Conflicts().Single(c => c.Contains("'always-right'"));
        Assert.That(conflict, Does.StartWith("evaluator plugin 'always-right' is provided by more than one folder"));
        Assert.That(conflict, Does.Contain(Path.Combine(first, "Coin.Fixtures.FaultyPlugins")).And.Contain(Path.Combine(second, "Coin.Fixtures.FaultyPlugins")));
        Assert.Throws<CoinUserException>(() => catalog.Resolve(PluginKind.Evaluator, "always-right", "evaluation.evaluator.type"));
    }

    [Test]
    public void ResolvingAnUnknownNameListsTheAcceptedOnes()
    {
        var catalog = PluginCatalog.Load([TestPaths.HostPlugins]);
        var error = Assert.Throws<CoinUserException>(() => catalog.Resolve(PluginKind.Connector, "qformer", "model.connector.type"));
        Assert.That(error!.Message, Is.EqualTo("model.connector.type: unknown connector plugin 'qformer'; accepted: linear, mlp2x-gelu"));
    }

    [Test]
    public void PluginFoldersShipNeitherTorchSharpNorTheContracts()
    {
        var shipped = Directory.EnumerateFiles(TestPaths.HostPlugins, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.That(shipped, Has.None.StartsWith("TorchSharp").And.None.StartsWith("Coin.Abstractions")
            .And.None.StartsWith("libtorch").And.None.StartsWith("libLibTorchSharp").And.None.Contains("SkiaSharp"));
    }

    [TestCase("/home/me/plugins/Coin.Plugins.Adapters", "Coin.Plugins.Adapters")]
    [TestCase("/home/me/MySi/bin/Release/net10.0", "MySi (bin/Release/net10.0)")]
    [TestCase("/home/me/MySi/bin/Debug/net10.0/publish/", "MySi (bin/Debug/net10.0/publish)")]
    [TestCase("/srv/netflix-plugins", "netflix-plugins")]
    public void A_plugin_folder_is_shown_by_its_project_not_its_target_framework(string folder, string label)
        => Assert.That(Coin.Engine.Plugins.PluginDescriptor.FolderLabel(folder), Is.EqualTo(label));
}
