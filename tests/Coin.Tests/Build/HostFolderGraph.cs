using System.Text.RegularExpressions;
using Coin.Tests.Support;

namespace Coin.Tests.Build;

/// <summary>Which folders of the engine (src/Coin.Engine/X/, namespace Coin.Engine.X) and the host (src/Coin.Host/X/,
/// namespace Coin.Host.X) use which, read from the source: a <c>using Coin.Engine.X;</c>, a qualified
/// <c>Coin.Engine.X.</c>, or the relative <c>X.</c> a namespace inside the engine resolves to its sibling (not after a
/// dot, so a property named <c>Results</c> is not one). Folder names are unique across the two projects.</summary>
public static partial class HostFolderGraph
{
    public static IReadOnlyList<string> Projects { get; } = ["Coin.Engine", "Coin.Host"];

    private static string Source(string project) => Path.Combine(TestPaths.Root, "src", project);

    /// <summary>Folder → the project it is in.</summary>
    public static IReadOnlyDictionary<string, string> Folders()
        => Projects.SelectMany(project => Directory.GetDirectories(Source(project)).Select(Path.GetFileName)
                .Where(f => f is not ("bin" or "obj"))
                .Where(f => Directory.EnumerateFiles(Path.Combine(Source(project), f!), "*.cs", SearchOption.AllDirectories).Any())
                .Select(f => (Folder: f!, Project: project)))
            .ToDictionary(f => f.Folder, f => f.Project);

    /// <summary>Folder → the other folders its files use.</summary>
    public static IReadOnlyDictionary<string, IReadOnlySet<string>> Edges()
    {
        var folders = Folders();
        var edges = new Dictionary<string, IReadOnlySet<string>>();
        foreach (var (folder, project) in folders.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var used = new HashSet<string>();
            foreach (string file in Directory.EnumerateFiles(Path.Combine(Source(project), folder), "*.cs", SearchOption.AllDirectories))
            {
                string code = WithoutComments(File.ReadAllText(file));
                foreach (var (other, otherProject) in folders.Where(o => o.Key != folder))
                    if (Regex.IsMatch(code, $@"using\s+{Regex.Escape(otherProject)}\.{other}\s*;|{Regex.Escape(otherProject)}\.{other}\.|(?<![\w.]){other}\."))
                        used.Add(other);
            }
            edges[folder] = used;
        }
        return edges;
    }

    /// <summary>Pairs of folders that use each other, "A ↔ B" with A before B.</summary>
    public static IReadOnlyList<string> MutualPairs()
    {
        var edges = Edges();
        return edges.SelectMany(e => e.Value.Where(o => string.CompareOrdinal(e.Key, o) < 0 && edges[o].Contains(e.Key)).Select(o => $"{e.Key} ↔ {o}"))
            .Order(StringComparer.Ordinal).ToList();
    }

    private static string WithoutComments(string code)
        => Comments().Replace(code, "");

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex Comments();
}
