namespace Coin.Plugins.Evaluation.Captions;

/// <summary>CIDEr as pycocoevalcap computes it (<c>cider/cider_scorer.py</c>, which is CIDEr-D): n-grams of 1 to 4
/// words weighted by tf-idf, where the document frequency of an n-gram is the number of images whose references
/// contain it, over the references of the whole test set, and the idf is <c>log(number of images) -
/// log(max(1, df))</c>; per n, the cosine similarity of candidate and reference with the candidate's weights clipped
/// to the reference's (<c>min(vec_hyp, vec_ref) * vec_ref</c>) and a Gaussian penalty
/// <c>e^(-delta^2 / (2 sigma^2))</c>, sigma = 6, on the length difference; the mean over n, summed over the
/// references, divided by their number and multiplied by 10. The corpus score is the mean over images.</summary>
/// <remarks>Reproduced as written, quirks included: the "length" in the penalty is the candidate's number of bigrams
/// (<c>if n == 1: length += term_freq</c>, n being the 0-based n-gram index), not of words; a corpus of one image
/// scores 0 (log 1 = 0 zeroes every weight). Inputs are captions already tokenized
/// (<see cref="CaptionTokenizer"/>); words are what Python's <c>str.split()</c> finds. Means are summed left
/// to right; numpy's pairwise summation and its own <c>log</c> can differ in the last bit.</remarks>
internal static class Cider
{
    /// <summary>The longest n-gram.</summary>
    public const int MaxN = 4;

    /// <summary>The standard deviation of the Gaussian length penalty.</summary>
    public const double Sigma = 6.0;

    /// <summary>The corpus CIDEr-D on pycocoevalcap's scale (about 0 to 10; papers print it × 100): the mean of
    /// <see cref="ScoreEach"/>.</summary>
    /// <param name="candidates">One tokenized caption per image (pycocoevalcap's <c>res</c>).</param>
    /// <param name="references">The tokenized reference captions of each image, at least one each (<c>gts</c>).</param>
    public static double Score(IReadOnlyList<string> candidates, IReadOnlyList<IReadOnlyList<string>> references)
        => Bleu.MeanInOrder(ScoreEach(candidates, references));

    /// <summary>Each image's CIDEr-D (cider_scorer.py's <c>compute_cider</c> list), in order. The document
    /// frequencies come from all the given references, so a score depends on the whole corpus.</summary>
    public static double[] ScoreEach(IReadOnlyList<string> candidates, IReadOnlyList<IReadOnlyList<string>> references)
    {
        Bleu.CheckCorpus(candidates, references);
        var cookedReferences = references.Select(refs => refs.Select(r => Precook(CaptionTokenizer.Words(r))).ToArray()).ToArray();
        var cookedTests = candidates.Select(c => Precook(CaptionTokenizer.Words(c))).ToArray();

        // compute_doc_freq: each image counts once for every n-gram in any of its references.
        var documentFrequency = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var refs in cookedReferences)
            foreach (string ngram in refs.SelectMany(r => r.SelectMany(byN => byN.Keys)).ToHashSet(StringComparer.Ordinal))
                documentFrequency[ngram] = documentFrequency.GetValueOrDefault(ngram) + 1;

        double referenceLength = Math.Log((double)cookedReferences.Length);
        var scores = new double[candidates.Count];
        for (int i = 0; i < candidates.Count; i++)
        {
            var (vector, norm, length) = CountsToVector(cookedTests[i], documentFrequency, referenceLength);
            var score = new double[MaxN];
            foreach (var reference in cookedReferences[i])
            {
                var (referenceVector, referenceNorm, referenceLengthOfCaption) = CountsToVector(reference, documentFrequency, referenceLength);
                double[] similarity = Similarity(vector, referenceVector, norm, referenceNorm, length, referenceLengthOfCaption);
                for (int n = 0; n < MaxN; n++) score[n] += similarity[n];
            }
            double mean = 0;
            foreach (double value in score) mean += value;
            mean /= MaxN;                       // "mean of ngram scores, instead of sum"
            mean /= cookedReferences[i].Length; // "divide by number of references"
            mean *= 10.0;                       // "multiply score by 10"
            scores[i] = mean;
        }
        return scores;
    }

    /// <summary>cider_scorer.py's <c>counts2vec</c>: per n, the tf-idf weight of each n-gram (in first-seen order, as
    /// Python's dict keeps it), the vector's norm, and the caption's "length" (its bigram count).</summary>
    private static (Dictionary<string, double>[] Vector, double[] Norm, int Length) CountsToVector(
        Dictionary<string, int>[] counts, Dictionary<string, double> documentFrequency, double referenceLength)
    {
        var vector = new Dictionary<string, double>[MaxN];
        var norm = new double[MaxN];
        int length = 0;
        for (int n = 0; n < MaxN; n++)
        {
            vector[n] = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var (ngram, termFrequency) in counts[n])
            {
                // "give word count 1 if it doesn't appear in reference corpus"
                double df = Math.Log(Math.Max(1.0, documentFrequency.GetValueOrDefault(ngram)));
                double weight = termFrequency * (referenceLength - df);
                vector[n][ngram] = weight;
                norm[n] += Math.Pow(weight, 2);
                if (n == 1) length += termFrequency;
            }
        }
        for (int n = 0; n < MaxN; n++) norm[n] = Math.Sqrt(norm[n]);
        return (vector, norm, length);
    }

    /// <summary>cider_scorer.py's <c>sim</c>: per n, the clipped cosine similarity times the Gaussian length
    /// penalty.</summary>
    private static double[] Similarity(Dictionary<string, double>[] hypothesis, Dictionary<string, double>[] reference,
        double[] hypothesisNorm, double[] referenceNorm, int hypothesisLength, int referenceLength)
    {
        double delta = hypothesisLength - referenceLength;
        var value = new double[MaxN];
        for (int n = 0; n < MaxN; n++)
        {
            foreach (var (ngram, weight) in hypothesis[n])
            {
                double referenceWeight = reference[n].GetValueOrDefault(ngram);
                value[n] += Math.Min(weight, referenceWeight) * referenceWeight; // "vrama91 : added clipping"
            }
            if (hypothesisNorm[n] != 0 && referenceNorm[n] != 0) value[n] /= hypothesisNorm[n] * referenceNorm[n];
            // np.e ** x is Python's float power, so Math.Pow(Math.E, x) rather than Math.Exp(x).
            value[n] *= Math.Pow(Math.E, -Math.Pow(delta, 2) / (2 * Math.Pow(Sigma, 2)));
        }
        return value;
    }

    /// <summary>cider_scorer.py's <c>precook</c>, split by n-gram length (index n - 1): counts keyed by the words
    /// joined with a space, in first-seen order.</summary>
    private static Dictionary<string, int>[] Precook(string[] words)
    {
        var counts = new Dictionary<string, int>[MaxN];
        for (int k = 1; k <= MaxN; k++)
        {
            counts[k - 1] = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i + k <= words.Length; i++)
            {
                string ngram = string.Join(' ', words, i, k);
                counts[k - 1][ngram] = counts[k - 1].GetValueOrDefault(ngram) + 1;
            }
        }
        return counts;
    }
}
