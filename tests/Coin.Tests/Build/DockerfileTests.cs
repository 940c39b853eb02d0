using Coin.Host.Sweeps;
using Coin.Tests.Support;

namespace Coin.Tests.Build;

/// <summary>The Dockerfile builds the image <c>coin sweep emit k8s</c> names by default. CI cannot build it (its base
/// images come from mcr.microsoft.com, which CI does not reach), so this test lints it against what the manifest and the
/// build assume: the image's name and command, the project it builds and the folder that build writes, the cache on
/// the work volume, and a build context without local build outputs.</summary>
public class DockerfileTests
{
    private static readonly string Root = TestPaths.Root;

    /// <summary>Instructions with their continuation lines joined, comments left out.</summary>
    private static List<string> Instructions()
    {
        var instructions = new List<string>();
        string pending = "";
        foreach (string raw in File.ReadLines(Path.Combine(Root, "Dockerfile")))
        {
            string line = raw.Trim();
            if (pending.Length == 0 && (line.Length == 0 || line.StartsWith('#'))) continue;
            pending += (pending.Length > 0 ? " " : "") + line.TrimEnd('\\').Trim();
            if (line.EndsWith('\\')) continue;
            instructions.Add(pending);
            pending = "";
        }
        Assert.That(pending, Is.Empty, "no instruction ends in a continuation");
        return instructions;
    }

    [Test]
    public void The_image_is_the_one_the_kubernetes_manifest_runs()
    {
        var instructions = Instructions();
        var kubernetes = new KubernetesSettings();
        string header = File.ReadAllText(Path.Combine(Root, "Dockerfile"));
        Assert.That(header, Does.Contain($"-t {kubernetes.Image} ."), "the build command in the header tags the manifest's default image");

        var stages = instructions.Where(i => i.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        Assert.That(stages, Has.Count.EqualTo(2));
        Assert.That(stages[0], Does.StartWith("FROM mcr.microsoft.com/dotnet/sdk:").And.EndWith(" AS build"));
        Assert.That(stages[1], Does.StartWith("FROM mcr.microsoft.com/dotnet/runtime:"));
        string final = string.Join("\n", instructions.SkipWhile(i => i != stages[1]));

        // The build writes the host and its plugins/ where Directory.Build.props puts a Release build, and copies it.
        var build = instructions.Single(i => i.StartsWith("RUN dotnet build ", StringComparison.Ordinal));
        string project = build.Split(' ')[3];
        Assert.That(File.Exists(Path.Combine(Root, project)), project);
        Assert.That(build, Does.Contain("-c Release").And.Contain("-p:CoinTorchBackend=${BACKEND}").And.Contain("cp -r artifacts/coin/Release /opt/coin"));
        Assert.That(File.ReadAllText(Path.Combine(Root, "Directory.Build.props")), Does.Contain("<CoinHostOutDir>$(CoinArtifacts)coin/$(Configuration)/</CoinHostOutDir>"));
        Assert.That(final, Does.Contain("COPY --from=build /opt/coin /opt/coin"));

        // The manifest's command is `coin ...`: the image has it on PATH, running the copied host.
        Assert.That(kubernetes.Command, Is.EqualTo(new[] { "coin" }));
        Assert.That(final, Does.Contain("> /usr/local/bin/coin").And.Contain("exec dotnet /opt/coin/coin.dll").And.Contain("chmod +x /usr/local/bin/coin"));
        Assert.That(final, Does.Contain("ENTRYPOINT [\"coin\"]"));
        // The cache on the work volume the manifest mounts: every cell shares generated data and base models.
        Assert.That(final, Does.Contain($"ENV COIN_HOME={kubernetes.WorkDir}/.cache/coin").And.Contain($"WORKDIR {kubernetes.WorkDir}"));
    }

    [Test]
    public void The_build_context_leaves_out_local_builds_and_runs()
    {
        var ignored = File.ReadAllLines(Path.Combine(Root, ".dockerignore")).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        // A local artifacts/ would otherwise be copied in and could stand in for the image's own build.
        Assert.That(ignored, Is.SupersetOf(new[] { "artifacts", "runs", ".git", "**/bin", "**/obj" }));
    }
}
