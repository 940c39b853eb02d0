namespace Coin.Tests.Support;

/// <summary>Builds a project under samples/ on its own, as its author would, and gives its build output folder.</summary>
public static class SampleBuild
{
    public static string Output(string project)
    {
        string path = Path.Combine(TestPaths.Root, "samples", project, project + ".csproj");
        // The contracts are already built; rebuilding them here could race the plugin-template test reading them.
        string log = DotnetCli.Run(TestPaths.Root, "build", path, "-c", "Debug", "--nologo", "-v", "q", "-p:BuildProjectReferences=false");
        string output = Path.Combine(TestPaths.Root, "artifacts", "bin", project, "Debug");
        Assert.That(File.Exists(Path.Combine(output, project + ".dll")), log);
        return output;
    }
}
