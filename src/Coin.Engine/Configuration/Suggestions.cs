namespace Coin.Engine.Configuration;

/// <summary>"Did you mean" for a misspelt command, action, option or configuration key: the closest accepted word by
/// edit distance (insertions, deletions, substitutions and swaps of neighbours), when it is close enough to be a typo.</summary>
public static class Suggestions
{
    /// <summary>The closest of <paramref name="accepted"/>, or null when none is within a third of the word's length
    /// (at least one edit). Case is ignored.</summary>
    public static string? Closest(string word, IEnumerable<string> accepted)
    {
        int limit = Math.Max(1, word.Length / 3);
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in accepted)
        {
            int distance = Distance(word.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance && distance <= limit) (best, bestDistance) = (candidate, distance);
        }
        return best;
    }

    /// <summary>" did you mean 'X'?" for appending to a message, or "" when nothing is close.</summary>
    public static string DidYouMean(string word, IEnumerable<string> accepted)
        => Closest(word, accepted) is { } match ? $" did you mean '{match}'?" : "";

    /// <summary>Optimal string alignment distance (Damerau–Levenshtein without repeated edits of one substring).</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
