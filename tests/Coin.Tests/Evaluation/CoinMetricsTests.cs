using Coin.Plugins.Evaluation.Coin;
using static Coin.Plugins.Evaluation.Coin.ScoringMode;

namespace Coin.Tests.Evaluation;

/// <summary>Golden values worked out by hand from CoIN's evaluation scripts, quirks included.</summary>
public class CoinMetricsTests
{
    [TestCase("B", "B", 4, CoinCompatible, 1)]
    [TestCase("B. blue", "B", 4, CoinCompatible, 1)]
    [TestCase("The answer is B", "B", 4, CoinCompatible, 1)]
    [TestCase("a", "A", 4, CoinCompatible, 1)]          // quirk: the article "a" reads as option A
    [TestCase("I think B", "B", 4, CoinCompatible, 0)]  // quirk: the first one-letter word is "I"
    [TestCase("E", "E", 4, CoinCompatible, 0)]          // E is not among four choices
    [TestCase("", "A", 4, CoinCompatible, 0)]
    [TestCase("I think B", "B", 4, Clean, 1)]
    [TestCase("a", "A", 4, Clean, 0)]
    public void OptionLetter(string prediction, string answer, int choices, ScoringMode mode, double expected)
        => Assert.That(CoinMetrics.OptionLetter(prediction, answer, choices, mode), Is.EqualTo(expected));

    private static readonly string[] ThreeCatsSevenDogs = ["cat", "cat", "cat", "dog", "dog", "dog", "dog", "dog", "dog", "dog"];

    [Test]
    public void TextVqaSoftAccuracyAveragesLeaveOneOutSubsets()
    {
        // Leaving out a "cat" (3 of 10 subsets) leaves 2 matches: 2/3; otherwise 3 matches: 1. (3 * 2/3 + 7) / 10 = 0.9.
        Assert.That(CoinMetrics.VqaSoftAccuracy("cat", ThreeCatsSevenDogs, CoinCompatible), Is.EqualTo(0.9).Within(1e-12));
        Assert.That(CoinMetrics.VqaSoftAccuracy("The cat", ThreeCatsSevenDogs, CoinCompatible), Is.EqualTo(0.9).Within(1e-12), "articles are dropped");
        Assert.That(CoinMetrics.VqaSoftAccuracy("Dog.", ThreeCatsSevenDogs, CoinCompatible), Is.EqualTo(1.0), "case and the final period are normalised");
        Assert.That(CoinMetrics.VqaSoftAccuracy("bird", ThreeCatsSevenDogs, CoinCompatible), Is.EqualTo(0.0));
        Assert.That(CoinMetrics.VqaSoftAccuracy("two", Enumerable.Repeat("2", 10).ToList(), CoinCompatible), Is.EqualTo(1.0), "number words become digits");
        // One matching answer of ten: 9 subsets keep it (1/3 each), one drops it (0): 9 * (1/3) / 10 = 0.3.
        Assert.That(CoinMetrics.VqaSoftAccuracy("cow", ["cow", .. Enumerable.Repeat("ox", 9)], CoinCompatible), Is.EqualTo(0.3).Within(1e-12));
    }

    [Test]
    public void TextVqaNeedsTenAnswersUnlessClean()
    {
        Assert.Throws<ArgumentException>(() => CoinMetrics.VqaSoftAccuracy("cat", ["cat"], CoinCompatible));
        Assert.That(CoinMetrics.VqaSoftAccuracy("Cat", ["cat"], Clean), Is.EqualTo(1.0));
        Assert.That(CoinMetrics.VqaSoftAccuracy("", ["cat"], Clean), Is.EqualTo(0.0));
    }

    [TestCase("", "goldfish", CoinCompatible, 1)]   // quirk: the empty string is inside every answer
    [TestCase("gold", "goldfish", CoinCompatible, 1)]
    [TestCase("a goldfish", "goldfish", CoinCompatible, 1)]
    [TestCase("Goldfish", "goldfish", CoinCompatible, 0)]
    [TestCase("", "goldfish", Clean, 0)]
    [TestCase("Goldfish", "goldfish", Clean, 1)]
    public void ImageNetBidirectionalSubstring(string prediction, string answer, ScoringMode mode, double expected)
        => Assert.That(CoinMetrics.BidirectionalSubstring(prediction, answer, mode), Is.EqualTo(expected));

    [TestCase("yes", "Yes", CoinCompatible, false, 1)]
    [TestCase(" yes", "yes", CoinCompatible, false, 0)]   // quirk: no trimming
    [TestCase("yes.", "yes", CoinCompatible, false, 0)]
    [TestCase("Harry", "harry", CoinCompatible, true, 1)]
    [TestCase("Unanswerable", "unanswerable", CoinCompatible, true, 0)] // quirk: OCR-VQA skips "Unanswerable"
    [TestCase(" yes.", "yes", Clean, false, 1)]
    [TestCase("", "", Clean, false, 0)]
    public void ExactMatch(string prediction, string answer, ScoringMode mode, bool ocr, double expected)
        => Assert.That(CoinMetrics.ExactMatch(prediction, answer, mode, ocr), Is.EqualTo(expected));

    [TestCase("Yes.", "yes", CoinCompatible, 1)]   // CoIN's GQA script: trailing periods stripped, lower-cased
    [TestCase("red..", "Red", CoinCompatible, 1)]
    [TestCase(" yes", "yes", CoinCompatible, 0)]   // still no trimming of spaces
    [TestCase(" Yes. ", "yes", Clean, 1)]
    public void GqaExactMatch(string prediction, string answer, ScoringMode mode, double expected)
        => Assert.That(CoinMetrics.ExactMatchGqa(prediction, answer, mode), Is.EqualTo(expected));

    [TestCase("[0.12, 0.10, 0.52, 0.55]", "[0.12, 0.10, 0.52, 0.55]", CoinCompatible, 1)] // y2 read as 0.5: IoU 0.16/0.18
    [TestCase("[0.1, 0.1, 0.5, 0.5]", "[0.1, 0.1, 0.5, 0.5]", CoinCompatible, 0)]          // quirk: y2 read as "0." = 0
    [TestCase("[0.1, 0.1, 0.5, 0.5]", "[0.1, 0.1, 0.5, 0.5]", Clean, 1)]
    [TestCase("The box is [0.12, 0.10, 0.52, 0.55]", "[0.12, 0.10, 0.52, 0.55]", CoinCompatible, 0)]
    [TestCase("The box is [0.12, 0.10, 0.52, 0.55]", "[0.12, 0.10, 0.52, 0.55]", Clean, 1)]
    [TestCase("[0.60, 0.60, 0.90, 0.90]", "[0.12, 0.10, 0.52, 0.55]", Clean, 0)]
    [TestCase("no box", "[0.12, 0.10, 0.52, 0.55]", CoinCompatible, 0)]
    public void Grounding(string prediction, string box, ScoringMode mode, double expected)
        => Assert.That(CoinMetrics.Grounding(prediction, box, mode), Is.EqualTo(expected));

    [Test]
    public void IouOfTwoOverlappingSquares()
        => Assert.That(CoinMetrics.Iou([0, 0, 2, 2], [1, 1, 3, 3]), Is.EqualTo(1.0 / 7).Within(1e-12));

    [TestCase("It's  TWO dogs!", "it 's 2 dogs")]
    [TestCase("dont", "don't")]
    [TestCase("1,000", "1000")]
    [TestCase("e.g. a test", "eg test")]
    public void EvalAiNormalisation(string input, string expected)
        => Assert.That(EvalAiAnswer.Normalise(input), Is.EqualTo(expected));
}
