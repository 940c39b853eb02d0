using System.Globalization;
using System.Text.RegularExpressions;

namespace Coin.Plugins.Evaluation.Coin;

/// <summary>How faithfully to score: <c>CoinCompatible</c> reproduces CoIN's evaluation scripts, quirks included;
/// <c>Clean</c> fixes the quirks (documented per metric below).</summary>
public enum ScoringMode { CoinCompatible, Clean }

/// <summary>CoIN's per-task metrics as pure functions, one score in [0, 1] per prediction.</summary>
internal static partial class CoinMetrics
{
    private static readonly string[] Options = ["A", "B", "C", "D", "E"];

    /// <summary>ScienceQA (eval_science_qa.py): the prediction is an option letter if it is one, or starts with
    /// "X. ", or else the first single-character word (upper-cased) is taken. Quirk kept in CoinCompatible: the first
    /// one-letter word wins, so "a" (the article) reads as A and "I think B" reads as I. Clean: the first standalone
    /// capital option letter within the choices, else the first option letter at all.</summary>
    public static double OptionLetter(string prediction, string answerLetter, int choices, ScoringMode mode)
    {
        var valid = Options.Take(Math.Clamp(choices, 1, Options.Length)).ToList();
        string parsed;
        if (mode == ScoringMode.CoinCompatible)
        {
            if (Options.Contains(prediction)) parsed = prediction;
            else if (prediction.Length >= 3 && Options.Contains(prediction[..1]) && prediction[1..3] == ". ") parsed = prediction[..1];
            else
            {
                var word = SingleCharacterWord().Match(prediction);
                parsed = word.Success ? word.Groups[1].Value.ToUpperInvariant() : "FAILED";
            }
        }
        else
        {
            var letters = CapitalLetterWord().Matches(prediction).Select(m => m.Value).ToList();
            parsed = letters.FirstOrDefault(valid.Contains) ?? "FAILED";
        }
        return valid.Contains(parsed) && parsed == answerLetter ? 1 : 0;
    }

    /// <summary>TextVQA soft accuracy (M4C evaluator): after EvalAI normalisation, a prediction scores the average
    /// over the ten leave-one-out subsets of min(1, matches / 3). CoinCompatible requires exactly ten reference
    /// answers, as the script asserts. Clean also accepts fewer (where leave-one-out over three humans means nothing):
    /// then a normalised match with any reference scores 1; and an empty prediction scores 0.</summary>
    public static double VqaSoftAccuracy(string prediction, IReadOnlyList<string> answers, ScoringMode mode)
    {
        if (mode == ScoringMode.CoinCompatible && answers.Count != 10)
            throw new ArgumentException($"TextVQA scoring needs 10 reference answers, got {answers.Count}");
        if (answers.Count == 0) throw new ArgumentException("no reference answers");
        string predicted = EvalAiAnswer.Normalise(prediction);
        if (mode == ScoringMode.Clean && predicted.Length == 0) return 0;
        var normalised = answers.Select(EvalAiAnswer.Normalise).ToList();
        if (mode == ScoringMode.Clean && normalised.Count < 10) return normalised.Contains(predicted) ? 1 : 0;
        double total = 0;
        for (int leftOut = 0; leftOut < normalised.Count; leftOut++)
        {
            int matches = normalised.Where((a, i) => i != leftOut && a == predicted).Count();
            total += Math.Min(1.0, matches / 3.0);
        }
        return total / normalised.Count;
    }

    /// <summary>ImageNet (eval_ImagetNet.py): correct when the answer is inside the prediction or the prediction inside
    /// the answer. Quirk kept in CoinCompatible: an empty prediction is inside every answer, so it counts as correct.
    /// Clean: an empty (or blank) prediction is wrong; the comparison ignores case and surrounding spaces.</summary>
    public static double BidirectionalSubstring(string prediction, string answer, ScoringMode mode)
    {
        if (mode == ScoringMode.CoinCompatible) return answer.Contains(prediction, StringComparison.Ordinal) || prediction.Contains(answer, StringComparison.Ordinal) ? 1 : 0;
        string p = prediction.Trim(), a = answer.Trim();
        if (p.Length == 0) return 0;
        return a.Contains(p, StringComparison.OrdinalIgnoreCase) || p.Contains(a, StringComparison.OrdinalIgnoreCase) ? 1 : 0;
    }

    /// <summary>GQA, VizWiz, VQAv2 (upper-cased equality) and OCR-VQA (lower-cased equality; a prediction containing
    /// "Unanswerable" is skipped, which counts it wrong). Quirks kept in CoinCompatible: no trimming, so " yes" is
    /// wrong. Clean: trimmed, case-insensitive, one trailing period dropped, empty is wrong.</summary>
    public static double ExactMatch(string prediction, string answer, ScoringMode mode, bool ocrVqa = false)
    {
        if (mode == ScoringMode.CoinCompatible)
        {
            if (ocrVqa) return prediction.Contains("Unanswerable", StringComparison.Ordinal) ? 0 : prediction.ToLowerInvariant() == answer.ToLowerInvariant() ? 1 : 0;
            return prediction.ToUpperInvariant() == answer.ToUpperInvariant() ? 1 : 0;
        }
        string p = Clean(prediction), a = Clean(answer);
        return p.Length > 0 && string.Equals(p, a, StringComparison.OrdinalIgnoreCase) ? 1 : 0;

        static string Clean(string text)
        {
            text = text.Trim();
            return text.EndsWith('.') ? text[..^1].TrimEnd() : text;
        }
    }

    /// <summary>GQA: CoIN's GQA script strips trailing periods and lower-cases both sides before comparing, so "Yes." is
    /// right (no trimming of spaces). Clean: as <see cref="ExactMatch"/>.</summary>
    public static double ExactMatchGqa(string prediction, string answer, ScoringMode mode)
    {
        if (mode != ScoringMode.CoinCompatible) return ExactMatch(prediction, answer, mode);
        static string Normalise(string text) => text.TrimEnd('.').ToLowerInvariant();
        return Normalise(prediction) == Normalise(answer) ? 1 : 0;
    }

    /// <summary>Grounding (eval_grounding.py): IoU of predicted and reference boxes [x1, y1, x2, y2] above 0.5.
    /// Quirk kept in CoinCompatible: after one leading space and the brackets are removed, the script drops the first
    /// and last character of the text before splitting on commas, so "[0.12, 0.34, 0.56, 0.78]" reads as
    /// [0.12, 0.34, 0.56, 0.7]; text that does not parse into four numbers is wrong. Clean: the first four numbers in
    /// the text, whatever surrounds them.</summary>
    public static double Grounding(string prediction, string answerBox, ScoringMode mode)
    {
        var reference = answerBox.Replace("[", "").Replace("]", "").Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        double[]? predicted = mode == ScoringMode.CoinCompatible ? ParseLikeCoin(prediction) : ParseClean(prediction);
        return predicted is not null && Iou(predicted, reference) > 0.5 ? 1 : 0;
    }

    private static double[]? ParseLikeCoin(string text)
    {
        if (text.Length > 0 && text[0] == ' ') text = text[1..];
        text = text.Replace("[", "").Replace("]", "");
        if (text.Length < 2) return null;
        var parts = text[1..^1].Split(',');
        var values = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!TryPythonFloat(parts[i], out values[i])) return null;
        return values.Length == 4 ? values : null;
    }

    // Python's float() accepts surrounding whitespace and forms like ".5" and "5.".
    private static bool TryPythonFloat(string text, out double value)
        => double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && text.Trim().Length > 0;

    private static double[]? ParseClean(string text)
    {
        var numbers = Number().Matches(text).Select(m => double.Parse(m.Value, CultureInfo.InvariantCulture)).Take(4).ToArray();
        return numbers.Length == 4 ? numbers : null;
    }

    public static double Iou(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        double intersection = Math.Max(0, Math.Min(a[2], b[2]) - Math.Max(a[0], b[0])) * Math.Max(0, Math.Min(a[3], b[3]) - Math.Max(a[1], b[1]));
        double union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - intersection;
        return union > 0 ? intersection / union : 0;
    }

    [GeneratedRegex(@"\b(\w)\b")] private static partial Regex SingleCharacterWord();
    [GeneratedRegex(@"\b[A-E]\b")] private static partial Regex CapitalLetterWord();
    [GeneratedRegex(@"-?\d+(?:\.\d+)?|-?\.\d+")] private static partial Regex Number();
}
