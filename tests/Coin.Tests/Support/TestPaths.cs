using System.Reflection;

namespace Coin.Tests.Support;

/// <summary>Folders fixed at build time (see the test project's AssemblyMetadata items).</summary>
public static class TestPaths
{
    private static string Metadata(string key) => typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == key).Value!;

    public static string Root => Metadata("CoinRoot");
    public static string HostDirectory => Metadata("CoinHostDir");
    public static string HostPlugins => Path.Combine(HostDirectory, "plugins");
    public static string Fixtures => Path.Combine(Metadata("CoinArtifacts"), "fixtures");
    public static string NuGetPackages => Metadata("NuGetPackageRoot");

    /// <summary>A new empty folder under the test's temporary directory.</summary>
    public static string NewTemporaryDirectory(string name)
    {
        string path = Path.Combine(Path.GetTempPath(), "coin-tests", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>The fixture plugins (a working one beside broken ones) copied into a plugin folder under
    /// <paramref name="directory"/>, for <c>--plugins</c>; returns that folder.</summary>
    public static string FaultyPluginsIn(string directory)
    {
        string plugins = Path.Combine(directory, "extra-plugins");
        CopyDirectory(Path.Combine(Fixtures, "Coin.Fixtures.FaultyPlugins"), Path.Combine(plugins, "Faulty"));
        return plugins;
    }

    public static void CopyDirectory(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
