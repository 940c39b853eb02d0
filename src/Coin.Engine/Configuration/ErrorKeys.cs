namespace Coin.Engine.Configuration;

/// <summary>Configuration errors begin with the dotted key they are about (<c>training.epochs: ...</c>); this finds
/// where that key was set, for a message that names the option or variable instead of the file.</summary>
public static class ErrorKeys
{
    /// <summary>The source of the error's key in <paramref name="sourceByKey"/> (dotted key path, lower case → source):
    /// the key itself, a key above it or one below it; null when the error names no key or none of them.</summary>
    public static string? SourceOf(string error, IReadOnlyDictionary<string, string> sourceByKey)
    {
        int colon = error.IndexOf(": ", StringComparison.Ordinal);
        if (colon <= 0) return null;
        string path = error[..colon].ToLowerInvariant();
        foreach (var (key, source) in sourceByKey)
            if (path == key || path.StartsWith(key + ".", StringComparison.Ordinal) || key.StartsWith(path + ".", StringComparison.Ordinal))
                return source;
        return null;
    }
}
