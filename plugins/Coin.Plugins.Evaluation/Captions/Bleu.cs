namespace Coin.Plugins.Evaluation.Captions;

/// <summary>Corpus BLEU-1 to BLEU-4 as pycocoevalcap computes them (<c>bleu/bleu.py</c> calling
/// <c>bleu/bleu_scorer.py</c>'s <c>compute_score(option='closest')</c>): n-gram counts clipped by the largest count
/// in any one reference, summed over the corpus; the precisions smoothed with <c>tiny = 1e-15</c> over
/// <c>small = 1e-9</c>; BLEU-n the n-th root of the product of the first n precisions; the brevity penalty computed
/// once, on the corpus totals of candidate length and "closest" reference length.</summary>
/// <remarks>Inputs are captions already tokenized (<see cref="CaptionTokenizer"/>); words are what Python's
/// <c>str.split()</c> finds (<see cref="CaptionTokenizer.Words"/>).</remarks>
internal static class Bleu
{
    /// <summary>The longest n-gram (pycocoevalcap's <c>Bleu(4)</c>).</summary>
    public const int MaxN = 4;

    // bleu_scorer.py: "tiny = 1e-15 ## so that if guess is 0 still return 0", "small = 1e-9".
    private const double Tiny = 1e-15;
    private const double Small = 1e-9;

    /// <summary>BLEU-1..BLEU-4 of a corpus, each between 0 and 1 (pycocoevalcap's <c>score</c> list).</summary>
    /// <param name="candidates">One tokenized caption per image (pycocoevalcap's <c>res</c>).</param>
    /// <param name="references">The tokenized reference captions of each image, at least one each (<c>gts</c>).</param>
    public static double[] Score(IReadOnlyList<string> candidates, IReadOnlyList<IReadOnlyList<string>> references)
    {
        CheckCorpus(candidates, references);
        var guess = new long[MaxN];
        var correct = new long[MaxN];
        long testLength = 0, referenceLength = 0;
        for (int i = 0; i < candidates.Count; i++)
        {
            // cook_refs: the length of every reference and, per n-gram, its largest count in any one reference.
            var referenceLengths = new List<int>();
            var maxCounts = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (string reference in references[i])
            {
                string[] words = CaptionTokenizer.Words(reference);
                referenceLengths.Add(words.Length);
                foreach (var (ngram, count) in Precook(words))
                    maxCounts[ngram] = Math.Max(maxCounts.GetValueOrDefault(ngram), count);
            }

            // cook_test and compute_score's per-sentence part.
            string[] test = CaptionTokenizer.Words(candidates[i]);
            testLength += test.Length;
            referenceLength += Closest(referenceLengths, test.Length);
            for (int k = 0; k < MaxN; k++) guess[k] += Math.Max(0, test.Length - k);
            foreach (var (ngram, count) in Precook(test))
                correct[NgramLength(ngram) - 1] += Math.Min(maxCounts.GetValueOrDefault(ngram), count);
        }

        var bleus = new double[MaxN];
        double bleu = 1.0;
        for (int k = 0; k < MaxN; k++)
        {
            bleu *= (correct[k] + Tiny) / (guess[k] + Small);
            bleus[k] = Math.Pow(bleu, 1.0 / (k + 1));
        }
        double ratio = (testLength + Tiny) / (referenceLength + Small); // "N.B.: avoid zero division"
        if (ratio < 1)
            for (int k = 0; k < MaxN; k++) bleus[k] *= Math.Exp(1 - 1 / ratio);
        return bleus;
    }

    /// <summary>The "closest" effective reference length: <c>min((abs(l - testlen), l) for l in reflen)[1]</c>, so a
    /// tie goes to the shorter reference.</summary>
    private static int Closest(List<int> referenceLengths, int testLength)
    {
        int best = referenceLengths[0];
        foreach (int length in referenceLengths)
        {
            int distance = Math.Abs(length - testLength), bestDistance = Math.Abs(best - testLength);
            if (distance < bestDistance || (distance == bestDistance && length < best)) best = length;
        }
        return best;
    }

    /// <summary>bleu_scorer.py's <c>precook</c>: counts of the 1- to 4-grams, keyed by their words joined with a
    /// space (words hold no white space, so keys are unique).</summary>
    private static Dictionary<string, int> Precook(string[] words)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int k = 1; k <= MaxN; k++)
            for (int i = 0; i + k <= words.Length; i++)
            {
                string ngram = string.Join(' ', words, i, k);
                counts[ngram] = counts.GetValueOrDefault(ngram) + 1;
            }
        return counts;
    }

    private static int NgramLength(string ngram) => ngram.Count(c => c == ' ') + 1;

    /// <summary>pycocoevalcap's sanity checks: one candidate per image and at least one reference each.</summary>
    /// <summary>The mean of per-image scores, summed left to right (pycocoevalcap's np.mean sums pairwise: the last bit may differ).</summary>
    internal static double MeanInOrder(double[] scores)
    {
        double sum = 0;
        foreach (double score in scores) sum += score;
        return sum / scores.Length;
    }

    internal static void CheckCorpus(IReadOnlyList<string> candidates, IReadOnlyList<IReadOnlyList<string>> references)
    {
        if (candidates.Count != references.Count)
            throw new ArgumentException($"{candidates.Count} candidates but {references.Count} reference lists");
        for (int i = 0; i < references.Count; i++)
            if (references[i].Count == 0) throw new ArgumentException($"candidate {i} has no reference caption");
    }
}
