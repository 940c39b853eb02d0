using System.IO.Compression;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Coin.Abstractions.Plugins;
using Coin.Tests.Support;

namespace Coin.Tests.EndToEnd;

/// <summary>A plugin author's path without our repository: the contracts and the building blocks packed into a
/// local feed, the template installed with <c>dotnet new install</c>, a plugin created from it, built against the
/// packed packages only (its own package folder, no project reference), and run through the host.</summary>
[Parallelizable(ParallelScope.Self)]
public class PluginTemplateTests
{
    private string work = "", feed = "", hive = "";
    private readonly Dictionary<string, string> outputs = [];

    [OneTimeSetUp]
    public void PackInstallCreateAndBuild()
    {
        work = TestPaths.NewTemporaryDirectory("plugin-template");
        feed = Path.Combine(work, "feed");
        hive = Path.Combine(work, "template-hive");
        // The solution is built: the three packages are packed without rebuilding (so this cannot race other tests
        // reading the outputs), in one MSBuild process.
        string projects = string.Join(";", new[] { "src/Coin.Abstractions/Coin.Abstractions.csproj", "src/Coin.Nn/Coin.Nn.csproj", "templates/Coin.Templates.csproj" }
            .Select(p => Path.Combine(TestPaths.Root, p)));
        File.WriteAllText(Path.Combine(work, "pack.proj"), $"""
            <Project>
              <Target Name="Pack">
                <MSBuild Projects="{projects}" Targets="Pack" Properties="Configuration=Debug;NoBuild=true;PackageOutputPath={feed}" />
                <MSBuild Projects="{Path.Combine(TestPaths.Root, "src/Coin.Abstractions/Coin.Abstractions.csproj")}" Targets="Pack" Properties="Configuration=Debug;NoBuild=true;CoinRelease=true;PackageOutputPath={Path.Combine(work, "release-feed")}" />
              </Target>
            </Project>
            """);
        DotnetCli.Run(work, "msbuild", "pack.proj", "-t:Pack", "-nologo", "-v:q");
        // The author's own NuGet settings: our feed first, and a package folder of its own so that no package
        // restored earlier (an older build of the same version) can stand in for the one just packed.
        File.WriteAllText(Path.Combine(work, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources><add key="coin-local" value="{feed}" /></packageSources>
              <config><add key="globalPackagesFolder" value="{Path.Combine(work, "packages")}" /></config>
            </configuration>
            """);
        DotnetCli.Run(work, "new", "install", Path.Combine(feed, $"Coin.Templates.{PackageVersion}.nupkg"), "--debug:custom-hive", hive);

        // One plugin of each kind, built together as an author's solution would be.
        DotnetCli.Run(work, "new", "sln", "-n", "Plugins"); // Plugins.slnx, the SDK 10 default
        foreach (var (name, kind) in new[] { ("PullToStart", "continual"), ("FirstLineMatch", "evaluator") })
        {
            DotnetCli.Run(work, "new", "coin-plugin", "-n", name, "--kind", kind, "-o", Path.Combine(work, name), "--debug:custom-hive", hive);
            Assert.That(File.ReadAllText(Path.Combine(work, name, name + ".csproj")), Does.Not.Contain("ProjectReference"));
            outputs[kind] = Path.Combine(work, name, "bin", "Release", "net10.0");
        }
        DotnetCli.Run(work, "sln", "Plugins.slnx", "add", "PullToStart/PullToStart.csproj", "FirstLineMatch/FirstLineMatch.csproj");
        DotnetCli.Run(work, "build", "Plugins.slnx", "-c", "Release", "--nologo", "-v", "q");
    }

    /// <summary>What a pack from a clone is numbered: the contract version as a prerelease numbered by the commit
    /// count, counted here by git itself.</summary>
    private static string PackageVersion => $"{CoinContract.Version}.0-dev.{GitCommitCount()}";

    private static string GitCommitCount()
    {
        var start = new System.Diagnostics.ProcessStartInfo("git", ["rev-list", "--count", "HEAD"]) { WorkingDirectory = TestPaths.Root, RedirectStandardOutput = true };
        using var git = System.Diagnostics.Process.Start(start)!;
        string count = git.StandardOutput.ReadToEnd().Trim();
        git.WaitForExit();
        Assert.That(git.ExitCode, Is.EqualTo(0), "git rev-list --count HEAD");
        return count;
    }

    [Test]
    public void The_packages_carry_the_contract_version_the_docs_and_no_runtime_copies()
    {
        string version = PackageVersion;
        foreach (string id in new[] { "Coin.Abstractions", "Coin.Nn" })
        {
            using var package = ZipFile.OpenRead(Path.Combine(feed, $"{id}.{version}.nupkg"));
            var entries = package.Entries.Select(e => e.FullName).ToList();
            Assert.That(entries, Does.Contain($"lib/net10.0/{id}.dll").And.Contain($"lib/net10.0/{id}.xml"), id);
            using var nuspec = package.GetEntry($"{id}.nuspec")!.Open();
            var metadata = XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            Assert.That(metadata.Elements().Single(e => e.Name.LocalName == "version").Value, Is.EqualTo(version), id);
            if (id == "Coin.Nn")
            {
                var contracts = metadata.Descendants().Single(e => e.Name.LocalName == "dependency" && (string?)e.Attribute("id") == "Coin.Abstractions");
                Assert.That((string?)contracts.Attribute("version"), Is.EqualTo(version));
                Assert.That((string?)contracts.Attribute("exclude"), Does.Contain("Runtime"), "the host provides the contracts");
            }
        }
        Assert.That(File.Exists(Path.Combine(work, "release-feed", $"Coin.Abstractions.{CoinContract.Version}.0.nupkg")),
            "-p:CoinRelease=true packs the plain contract version");
        // The template's default contract is the one this host provides (bumping the contract must bump it too).
        var template = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.Root, "templates", "coin-plugin", ".template.config", "template.json")))!;
        Assert.That(template["symbols"]!["contractVersion"]!["defaultValue"]!.GetValue<string>(), Is.EqualTo(CoinContract.Version));
    }

    [Test]
    public void A_continual_method_from_the_template_builds_alone_and_runs_through_the_host()
    {
        string output = outputs["continual"];
        // Only the plugin's own files: the host provides the contracts, TorchSharp and the native libraries.
        Assert.That(Directory.EnumerateFileSystemEntries(output).Select(Path.GetFileName).Order(),
            Is.EqualTo(new[] { "PullToStart.deps.json", "PullToStart.dll", "PullToStart.pdb", "PullToStart.runtimeconfig.json", "PullToStart.xml" }));

        string directory = TestPaths.NewTemporaryDirectory("plugin-template-run");
        string experiment = CoinProcess.WriteQuickExperiment(directory, json =>
            json["continual"] = JsonNode.Parse("""{ "type": "pull-to-start", "options": { "strength": 10 } }"""));
        var result = CoinProcess.Run(directory, "run", experiment, "--plugins", output);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());

        // The template's method acted: its penalty is logged on the second task's steps, and only there.
        string steps = Path.Combine(Directory.GetDirectories(Path.Combine(directory, "runs")).Single(), "steps.csv");
        var penalties = File.ReadLines(steps).Skip(1).Select(l => l.Split(',')).Where(f => f[2] == "pull-to-start/penalty").ToList();
        Assert.That(penalties.Select(f => f[0]).Distinct(), Is.EqualTo(new[] { "position" }));
        Assert.That(penalties.Skip(1).Select(f => double.Parse(f[3], System.Globalization.CultureInfo.InvariantCulture)), Has.All.GreaterThan(0),
            "after the first step of the task the weights have moved from where it started");
    }

    [Test]
    public void An_evaluator_from_the_template_is_listed_by_the_host()
    {
        string output = outputs["evaluator"];
        var result = CoinProcess.Run(work, "plugins", "--plugins", output);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Output, Does.Contain("first-line-match").And.Contain("First line equals the reference"));
    }
}
