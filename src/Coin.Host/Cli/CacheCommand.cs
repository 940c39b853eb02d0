using System.Globalization;
using Coin.Abstractions.Plugins;
using Coin.Engine.Caching;
using Spectre.Console;

namespace Coin.Host.Cli;

/// <summary><c>coin cache list</c> and <c>coin cache clear [ENTRY...]</c>: the user-level cache (<see cref="UserCache"/>).
/// Clearing never removes an entry in use (a base model a run is training, data a generator is writing).</summary>
public sealed class CacheCommand(CommandLine commandLine, IAnsiConsole console) : ICommand
{
    public string Name => "cache";

    public int Execute()
    {
        var options = commandLine.Cache!;
        var (root, source) = UserCache.Locate();
        var entries = UserCache.List(root);
        console.MarkupLineInterpolated($"cache: {root} ({source})");
        return options.Action == "list" ? List(entries) : Clear(entries, options.Entries);
    }

    private int List(IReadOnlyList<UserCache.Entry> entries)
    {
        if (entries.Count == 0)
        {
            console.WriteLine("empty");
            return 0;
        }
        var table = new Table().AddColumns("entry", "size", "modified (UTC)", "state");
        foreach (var entry in entries)
            table.AddRow(Markup.Escape(entry.Name), Size(entry.Bytes), entry.Modified.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), entry.State);
        console.Write(table);
        console.WriteLine($"{entries.Count} entries, {Size(entries.Sum(e => e.Bytes))}");
        return 0;
    }

    private int Clear(IReadOnlyList<UserCache.Entry> entries, IReadOnlyList<string> named)
    {
        var unknown = named.Where(n => entries.All(e => e.Name != n.TrimEnd('/'))).ToList();
        if (unknown.Count > 0)
            throw new CoinUserException($"coin cache clear: no entry {string.Join(", ", unknown.Select(n => $"'{n}'"))} in the cache (coin cache list shows its entries)");
        var chosen = named.Count == 0 ? entries : entries.Where(e => named.Any(n => n.TrimEnd('/') == e.Name)).ToList();
        long freed = 0;
        int removed = 0;
        foreach (var entry in chosen)
        {
            if (entry.State == "in use")
            {
                console.MarkupLineInterpolated($"kept {entry.Name}: in use by a running process");
                continue;
            }
            UserCache.Remove(entry);
            freed += entry.Bytes;
            removed++;
        }
        console.WriteLine($"removed {removed} of {chosen.Count} entries, {Size(freed)}");
        return 0;
    }

    private static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => FormattableString.Invariant($"{bytes / (double)(1L << 30):F2} GiB"),
        >= 1L << 20 => FormattableString.Invariant($"{bytes / (double)(1L << 20):F1} MiB"),
        _ => FormattableString.Invariant($"{bytes / 1024.0:F1} KiB"),
    };
}
