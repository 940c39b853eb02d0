namespace Coin.Plugins.Evaluation.Captions;

/// <summary>ROUGE-L as pycocoevalcap computes it (<c>rouge/rouge.py</c>): for each candidate, the longest common
/// subsequence with every reference gives a precision (over the candidate's length) and a recall (over the
/// reference's); the largest precision and the largest recall are taken separately, possibly from different
/// references, and combined as an F-measure with <c>beta = 1.2</c> (0 when either is 0). The corpus score is the mean
/// over candidates.</summary>
/// <remarks>Words are what Python's <c>split(" ")</c> finds, as in rouge.py (not <c>split()</c>): an empty caption is
/// one empty word, which matches only an empty reference. Inputs are captions already tokenized
/// (<see cref="CaptionTokenizer"/>). The mean is summed left to right; numpy's pairwise summation can differ
/// in the last bit.</remarks>
internal static class RougeL
{
    /// <summary>rouge.py's <c>self.beta</c> ("updated ... based on discussion with Hovey").</summary>
    public const double Beta = 1.2;

    /// <summary>The corpus ROUGE-L between 0 and 1: the mean of <see cref="ScoreEach"/>.</summary>
    /// <param name="candidates">One tokenized caption per image (pycocoevalcap's <c>res</c>).</param>
    /// <param name="references">The tokenized reference captions of each image, at least one each (<c>gts</c>).</param>
    public static double Score(IReadOnlyList<string> candidates, IReadOnlyList<IReadOnlyList<string>> references)
        => Bleu.MeanInOrder(ScoreEach(candidates, references));

    /// <summary>Each candidate's ROUGE-L (rouge.py's <c>calc_score</c>), in order.</summary>
    public static double[] ScoreEach(IReadOnlyList<string> candidates, IReadOnlyList<IReadOnlyList<string>> references)
    {
        Bleu.CheckCorpus(candidates, references);
        return candidates.Select((candidate, i) => Sentence(candidate, references[i])).ToArray();
    }

    /// <summary>rouge.py's <c>calc_score</c> for one candidate and its references.</summary>
    public static double Sentence(string candidate, IReadOnlyList<string> references)
    {
        if (references.Count == 0) throw new ArgumentException("no reference caption", nameof(references));
        string[] c = candidate.Split(' ');
        double precisionMax = double.MinValue, recallMax = double.MinValue;
        foreach (string reference in references)
        {
            string[] r = reference.Split(' ');
            int lcs = LongestCommonSubsequence(r, c);
            precisionMax = Math.Max(precisionMax, lcs / (double)c.Length);
            recallMax = Math.Max(recallMax, lcs / (double)r.Length);
        }
        if (precisionMax == 0 || recallMax == 0) return 0.0;
        double beta2 = Math.Pow(Beta, 2);
        return (1 + beta2) * precisionMax * recallMax / (recallMax + beta2 * precisionMax);
    }

    /// <summary>The length of the longest common subsequence of two word lists (rouge.py's <c>my_lcs</c>).</summary>
    public static int LongestCommonSubsequence(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var previous = new int[b.Count + 1];
        var current = new int[b.Count + 1];
        for (int i = 1; i <= a.Count; i++)
        {
            for (int j = 1; j <= b.Count; j++)
                current[j] = string.Equals(a[i - 1], b[j - 1], StringComparison.Ordinal)
                    ? previous[j - 1] + 1
                    : Math.Max(previous[j], current[j - 1]);
            (previous, current) = (current, previous);
        }
        return previous[b.Count];
    }
}
