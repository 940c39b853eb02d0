using Coin.Tests.Support;
using System.Text.RegularExpressions;

namespace Coin.Tests.Build;

/// <summary>Which of the host's folders (src/Coin.Host/X/, namespace Coin.Host.X) use which, read from the source:
/// a <c>using Coin.Host.X;</c>, a qualified <c>Coin.Host.X.</c>, or the relative <c>X.</c> a namespace inside the
/// host resolves to its sibling (not after a dot, so a property named <c>Results</c> is not one).</summary>
public static partial class HostFolderGraph
{
    public static string HostSource => Path.Combine(TestPaths.Root, "src", "Coin.Host");

    public static IReadOnlyList<string> Folders()
        => Directory.GetDirectories(HostSource).Select(Path.GetFileName).Where(f => f is not ("bin" or "obj"))
            .Where(f => Directory.EnumerateFiles(Path.Combine(HostSource, f!), "*.cs", SearchOption.AllDirectories).Any()).Order(StringComparer.Ordinal).ToList()!;

    /// <summary>Folder → the other folders its files use.</summary>
    public static IReadOnlyDictionary<string, IReadOnlySet<string>> Edges()
    {
        var folders = Folders();
        var edges = new Dictionary<string, IReadOnlySet<string>>();
        foreach (string folder in folders)
        {
            var used = new HashSet<string>();
            foreach (string file in Directory.EnumerateFiles(Path.Combine(HostSource, folder), "*.cs", SearchOption.AllDirectories))
            {
                string code = WithoutComments(File.ReadAllText(file));
                foreach (string other in folders.Where(o => o != folder))
                    if (Regex.IsMatch(code, $@"using\s+Coin\.Host\.{other}\s*;|Coin\.Host\.{other}\.|(?<![\w.]){other}\."))
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
