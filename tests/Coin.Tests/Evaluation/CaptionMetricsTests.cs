using System.Reflection;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Plugins.Evaluation.Captions;
using TorchSharp;

namespace Coin.Tests.Evaluation;

/// <summary>Golden values worked out by hand from pycocoevalcap's bleu_scorer.py, rouge.py and cider_scorer.py (and
/// checked against those files run on the same tokenized strings), plus the tokenizer's port of the CoreNLP 3.4.1
/// lexer rules pycocoevalcap runs.</summary>
public class CaptionMetricsTests
{
    [TestCase("A man's bike.", "a man 's bike")]                                    // clitic split off, final period dropped
    [TestCase("Don't stop!", "do n't stop")]
    [TestCase("A GREY cat cannot jump", "a grey cat can not jump")]                 // lower-cased; no americanize in 3.4.1
    [TestCase("A black-and-white photo (old).", "a black-and-white photo -lrb- old -rrb-")] // -LRB- lower-cased escapes the list
    [TestCase("[a] {b}", "-lsb- a -rsb- -lcb- b -rcb-")]
    [TestCase("It costs $3.50...", "it costs $ 3.50")]
    [TestCase("He said \"hi\" -- twice; fine?", "he said hi twice fine")]          // quotes become `` and '', then dropped
    [TestCase("Two dogs' toys \u2013 red", "two dogs toys red")]                   // an en dash becomes --, dropped
    [TestCase("Wow?!", "wow ?!")]                                                 // [?!]+ is one token, not in the list
    [TestCase("A sign on Main St.", "a sign on main st.")]                         // abbreviations keep their period
    [TestCase("The U.S. flag, e.g. this one", "the u.s. flag e.g. this one")]
    [TestCase("I'm o'clock 'hello'", "i 'm o'clock hello")]
    [TestCase("5 1/2 inches", "5\u00A01/2 inches")]                              // a fraction joined by a no-break space
    [TestCase("...", "")]
    [TestCase("", "")]
    public void TokenizerFollowsPtbTokenizerThenDropsPunctuation(string caption, string expected)
        => Assert.That(CaptionTokenizer.Tokenize(caption), Is.EqualTo(expected));

    [Test]
    public void CaptionsTokenizedTogetherLetTheLexerLookIntoTheNextLine()
    {
        // pycocoevalcap lexes one file, a caption a line. The acronym rule sees "A." followed by a line starting with
        // the capitalised "A": a one-letter acronym there loses its period ("a"); at the end of the text, "A." is
        // an abbreviation and keeps it ("a.").
        Assert.That(CaptionTokenizer.Tokenize(["the letter A.", "A man."]), Is.EqualTo(new[] { "the letter a", "a man" }));
        Assert.That(CaptionTokenizer.Tokenize("the letter A."), Is.EqualTo("the letter a."));
        // A carriage return inside a caption would start a new line in Java (and shift every later caption); here it
        // is a space, so there is still one line per caption, empty ones included.
        Assert.That(CaptionTokenizer.Tokenize(["a\rb", "", "c"]), Is.EqualTo(new[] { "a b", "", "c" }));
    }

    [Test]
    public void WordsSplitAsPythonStrSplit()
    {
        // str.split() splits at any white space, the no-break space of a fraction included, and never yields "".
        Assert.That(CaptionTokenizer.Words("5\u00A01/2  inches "), Is.EqualTo(new[] { "5", "1/2", "inches" }));
        Assert.That(CaptionTokenizer.Words(""), Is.Empty);
    }

    [Test]
    public void BleuOfACandidateIdenticalToItsOnlyReferenceIsOne()
    {
        // Six words: every n-gram precision is c/c, smoothed to (c + 1e-15)/(c + 1e-9), p1 = (6 + 1e-15)/(6 + 1e-9),
        // about 1 - 1.7e-10. The same smoothing makes the length ratio (6 + 1e-15)/(6 + 1e-9) = p1 < 1, so even equal
        // lengths get a brevity penalty exp(1 - 1/p1), about 1 - 1.7e-10: BLEU-1 = p1 exp(1 - 1/p1), about 1 - 3.3e-10.
        double[] bleu = Bleu.Score(["a cat sat on the mat"], [["a cat sat on the mat"]]);
        double p1 = (6 + 1e-15) / (6 + 1e-9);
        Assert.That(bleu[0], Is.EqualTo(p1 * Math.Exp(1 - 1 / p1)).Within(1e-15));
        Assert.That(bleu, Has.All.EqualTo(1.0).Within(1e-9));
    }

    [Test]
    public void BleuOfAShortCandidateHasABrevityPenaltyAndTheSmoothing()
    {
        // "the cat" against "the cat sat on the mat": unigrams 2/2, bigrams 1/1, no trigram or 4-gram to guess, so
        // p3 = p4 = (0 + 1e-15)/(0 + 1e-9) = 1e-6. Length ratio 2/6: BP = exp(1 - 6/2) = e^-2 = 0.135335.
        // BLEU-1 = BLEU-2 = e^-2; BLEU-3 = (1 * 1 * 1e-6)^(1/3) e^-2 = 0.01 e^-2; BLEU-4 = (1e-12)^(1/4) e^-2 = 0.001 e^-2.
        double[] bleu = Bleu.Score(["the cat"], [["the cat sat on the mat"]]);
        double penalty = Math.Exp(-2);
        Assert.That(bleu[0], Is.EqualTo(penalty).Within(1e-9));
        Assert.That(bleu[1], Is.EqualTo(penalty).Within(1e-9));
        Assert.That(bleu[2], Is.EqualTo(0.01 * penalty).Within(1e-11));
        Assert.That(bleu[3], Is.EqualTo(0.001 * penalty).Within(1e-12));
    }

    [Test]
    public void BleuSumsCountsOverTheCorpusWithTheClosestReferenceLength()
    {
        // Image 1: "the the the" (3 words) against "the cat" (2) and "a cat sat down" (4). Counts are clipped to the
        // largest count in one reference: "the" x3 -> 1 of 3 unigrams; 0 of 2 bigrams; 0 of 1 trigram. Both references
        // are 1 word away; the tie goes to the shorter, 2.
        // Image 2: "a cat on a mat" against "a cat on the mat" (5): unigrams a(min(2,1)) + cat + on + mat = 4 of 5,
        // bigrams "a cat", "cat on" = 2 of 4, trigram "a cat on" = 1 of 3, 4-grams 0 of 2.
        // Totals: correct 5, 2, 1, 0 of 8, 6, 4, 2; candidate length 8 > reference length 2 + 5 = 7: no penalty (had the
        // tie gone to 4, 9 > 8 would give one).
        // BLEU-1 = 5/8; BLEU-2 = (5/8 * 2/6)^(1/2) = 0.456435; BLEU-3 = (5/8 * 2/6 * 1/4)^(1/3) = 0.373450;
        // BLEU-4 = (5/96 * 1e-15/2)^(1/4) = 7.1436e-5. (Averaging sentence BLEUs instead would give (1/3 + 4/5)/2 = 0.5667 for BLEU-1.)
        double[] bleu = Bleu.Score(["the the the", "a cat on a mat"], [["the cat", "a cat sat down"], ["a cat on the mat"]]);
        Assert.That(bleu[0], Is.EqualTo(5.0 / 8).Within(1e-9));
        Assert.That(bleu[1], Is.EqualTo(Math.Sqrt(5.0 / 24)).Within(1e-9));
        Assert.That(bleu[2], Is.EqualTo(Math.Cbrt(5.0 / 96)).Within(1e-9));
        Assert.That(bleu[3], Is.EqualTo(Math.Pow(5.0 / 96 * 0.5e-15, 0.25)).Within(1e-13));
    }

    [Test]
    public void RougeLOfAnIdenticalCandidateIsOne()
        => Assert.That(RougeL.Sentence("a cat sat on the mat", ["a cat sat on the mat"]), Is.EqualTo(1.0));

    [Test]
    public void RougeLIsTheFMeasureOfTheLongestCommonSubsequence()
    {
        // LCS("a man riding a red bike", "a man is riding a bike down the street") = "a man riding a bike", 5 words.
        // P = 5/6, R = 5/9, beta^2 = 1.44: F = 2.44 P R / (R + 1.44 P) = (61/54) / (79/45) = 2745/4266 = 0.643460.
        Assert.That(RougeL.LongestCommonSubsequence("a man riding a red bike".Split(' '), "a man is riding a bike down the street".Split(' ')), Is.EqualTo(5));
        Assert.That(RougeL.Sentence("a man riding a red bike", ["a man is riding a bike down the street"]), Is.EqualTo(2745.0 / 4266).Within(1e-12));
    }

    [Test]
    public void RougeLTakesTheBestPrecisionAndTheBestRecallFromDifferentReferences()
    {
        // "a dog" vs "a big dog runs": LCS 2, P = 1, R = 1/2 (alone: F = 1.22/1.94 = 0.6289);
        // "a dog" vs "dog": LCS 1, P = 1/2, R = 1 (alone: F = 1.22/1.72 = 0.7093). rouge.py maximises P and R
        // separately: P = 1, R = 1, F = 1.
        Assert.That(RougeL.Sentence("a dog", ["a big dog runs"]), Is.EqualTo(1.22 / 1.94).Within(1e-12));
        Assert.That(RougeL.Sentence("a dog", ["dog"]), Is.EqualTo(1.22 / 1.72).Within(1e-12));
        Assert.That(RougeL.Sentence("a dog", ["a big dog runs", "dog"]), Is.EqualTo(1.0).Within(1e-15));
    }

    [Test]
    public void RougeLIsZeroWithoutOverlapAndAveragesOverTheCorpus()
    {
        Assert.That(RougeL.Sentence("cat", ["dog"]), Is.EqualTo(0.0));
        Assert.That(RougeL.Sentence("", ["dog"]), Is.EqualTo(0.0), "an empty caption is one empty word, matching nothing");
        // Mean of 2745/4266 and 1.
        double corpus = RougeL.Score(["a man riding a red bike", "a dog"], [["a man is riding a bike down the street"], ["a big dog runs", "dog"]]);
        Assert.That(corpus, Is.EqualTo((2745.0 / 4266 + 1) / 2).Within(1e-12));
    }

    [Test]
    public void CiderOfATwoImageCorpusStepByStep()
    {
        // Image 1: "a cat sits", references "a cat sits" and "a black cat". Image 2: "a dog", reference "a dog runs".
        // Document frequency over both images' references: "a" is in both (df 2), every other n-gram in one (df 1).
        // ref_len = log 2 = L, so an n-gram weighs tf * (L - log df): "a" weighs 0, everything else L (an n-gram in no
        // reference too: log max(1, 0) = 0).
        // Image 1 vs "a cat sits" (identical): 1-grams {a:0, cat:L, sits:L}, norm L*sqrt2 on both sides, dot 2L^2 -> 1;
        //   2-grams {a cat, cat sits} -> 1; 3-gram {a cat sits} -> 1; no 4-gram -> 0 (zero norms: no division).
        //   Lengths (bigram counts) 2 and 2: penalty 1. [1, 1, 1, 0].
        // Image 1 vs "a black cat": 1-grams: only "cat" matches: L^2 / (L sqrt2 * L sqrt2) = 1/2; no 2- or 3-gram in
        //   common. [1/2, 0, 0, 0].
        //   Sum [3/2, 1, 1, 0], mean over n 7/8, over 2 references 7/16, times 10: 4.375.
        // Image 2 vs "a dog runs": 1-grams: hyp {a:0, dog:L} norm L, ref {a:0, dog:L, runs:L} norm L sqrt2: 1/sqrt2;
        //   2-grams: hyp {a dog} norm L, ref {a dog, dog runs} norm L sqrt2: 1/sqrt2; the hypothesis has no 3-gram: 0.
        //   Lengths 1 and 2, delta = -1: penalty e^(-1/72). Mean over n (2/sqrt2)/4 = sqrt2/4; times e^(-1/72) and 10:
        //   10 * 0.353553 * 0.986207 = 3.486769.
        // Corpus: (4.375 + 3.486769) / 2 = 3.930884.
        string[] candidates = ["a cat sits", "a dog"];
        IReadOnlyList<string>[] references = [["a cat sits", "a black cat"], ["a dog runs"]];
        double[] each = Cider.ScoreEach(candidates, references);
        double image2 = 10 * Math.Sqrt(2) / 4 * Math.Exp(-1.0 / 72);
        Assert.That(each[0], Is.EqualTo(4.375).Within(1e-12));
        Assert.That(each[1], Is.EqualTo(image2).Within(1e-12));
        Assert.That(Cider.Score(candidates, references), Is.EqualTo((4.375 + image2) / 2).Within(1e-12));
    }

    [Test]
    public void CiderClipsRepeatedNgramsAndPenalisesTheLengthDifference()
    {
        // Image 1: "cat cat" vs "cat"; image 2: "dog" vs "dog". N = 2, every reference n-gram has df 1, weight L = log 2.
        // Image 1: hypothesis 1-gram cat tf 2 -> 2L (norm 2L), reference cat -> L (norm L). Clipped: min(2L, L) * L = L^2,
        //   over 2L * L: 1/2 (unclipped it would be 1). 2-gram "cat cat" is not in the reference: 0. Lengths: 1 bigram
        //   vs 0, penalty e^(-1/72). Mean over n 1/8, times 10: 1.25 e^(-1/72) = 1.232759.
        // Image 2: identical one word: [1, 0, 0, 0], no penalty: 10/4 = 2.5. Corpus (1.232759 + 2.5) / 2 = 1.866379.
        double[] each = Cider.ScoreEach(["cat cat", "dog"], [["cat"], ["dog"]]);
        Assert.That(each[0], Is.EqualTo(1.25 * Math.Exp(-1.0 / 72)).Within(1e-12));
        Assert.That(each[1], Is.EqualTo(2.5).Within(1e-12));
    }

    [Test]
    public void CiderOfAOneImageCorpusIsZero()
        // ref_len = log 1 = 0 and every reference n-gram has df 1 (log 1 = 0): all weights are 0, as in pycocoevalcap.
        => Assert.That(Cider.Score(["a cat sits on a mat"], [["a cat sits on a mat"]]), Is.EqualTo(0.0));

    private static readonly TaskInfo CaptionTask = new("Captions", 0, ["image"]);

    private static Prediction Predict(string id, string output, string answer, string? answers = null)
        => new(new Sample(id, "Captions", [], "<image>\nDescribe the image briefly.", answer,
            answers is null ? null : new Dictionary<string, string> { ["answers"] = answers }), output);

    [Test]
    public void EvaluatorReportsCiderTimes100AndTheOtherFiveMetrics()
    {
        // After tokenizing ("A cat sits." -> "a cat sits", "A black cat!" -> "a black cat"), this is the corpus of
        // CiderOfATwoImageCorpusStepByStep: CIDEr 3.930884 -> 393.0884. The first sample's references are its
        // "answers" list (its Answer is not among them), the second's its Answer.
        // BLEU: image 1 matches 3/3, 2/2, 1/1 (no 4-gram), reference length 3; image 2 "a dog" matches 2/2, 1/1,
        // reference length 3. Totals: 5/5, 3/3, 1/1, 0/0 (p4 = 1e-15/1e-9 = 1e-6); lengths 5 vs 6: BP = exp(1 - 6/5) =
        // e^-0.2 = 0.818731. BLEU-1..3 = 81.8731, BLEU-4 = (1e-6)^(1/4) * 81.8731 = 2.58905.
        // ROUGE-L: image 1 has an identical reference: 1; image 2: LCS 2, P = 1, R = 2/3:
        // F = 2.44 (2/3) / (2/3 + 1.44) = 0.772152; mean 0.886076 -> 88.6076.
        var evaluator = new CaptionEvaluator();
        var score = evaluator.Evaluate(CaptionTask,
        [
            Predict("1", "A cat sits.", "ignored when answers exist", """["A cat sits.", "A black cat!"]"""),
            Predict("2", "a dog", "A dog runs."),
        ]);
        double penalty = 100 * Math.Exp(-0.2);
        Assert.That(score.Metric, Is.EqualTo("CIDEr"));
        Assert.That(score.Count, Is.EqualTo(2));
        Assert.That(score.Accuracy, Is.EqualTo(100 * (4.375 + 10 * Math.Sqrt(2) / 4 * Math.Exp(-1.0 / 72)) / 2).Within(1e-9));
        Assert.That(score.Others.Keys, Is.EquivalentTo(new[] { "BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L" }));
        Assert.That(score.Others["BLEU-1"], Is.EqualTo(penalty).Within(1e-6));
        Assert.That(score.Others["BLEU-2"], Is.EqualTo(penalty).Within(1e-6));
        Assert.That(score.Others["BLEU-3"], Is.EqualTo(penalty).Within(1e-6));
        Assert.That(score.Others["BLEU-4"], Is.EqualTo(Math.Pow(1e-6, 0.25) * penalty).Within(1e-7));
        Assert.That(score.Others["ROUGE-L"], Is.EqualTo(100 * (1 + 2.44 * (2.0 / 3) / (2.0 / 3 + 1.44)) / 2).Within(1e-9));
    }

    [Test]
    public void EvaluatorRejectsAnEmptyAnswersListAndScoresNoPredictionsAsZero()
    {
        var evaluator = new CaptionEvaluator();
        var error = Assert.Throws<CoinUserException>(() => evaluator.Evaluate(CaptionTask, [Predict("7", "a cat", "a cat", "[]")]));
        Assert.That(error!.Message, Does.Contain("sample '7'").And.Contain("answers"));
        var empty = evaluator.Evaluate(CaptionTask, []);
        Assert.That((empty.Accuracy, empty.Count, empty.Others.Count), Is.EqualTo((0.0, 0, 5)));
    }

    [Test]
    public void PluginCreatesACorpusEvaluatorWithoutPerAnswerScores()
    {
        var attribute = typeof(CaptionEvaluator).GetCustomAttribute<CoinPluginAttribute>()!;
        Assert.That((attribute.Kind, attribute.Name), Is.EqualTo((PluginKind.Evaluator, "captions")));
        var context = new ComponentContext { Device = torch.CPU, Seed = 0, RunDirectory = ".", ResolvePath = p => p };
        // As the host creates it: the component is its own plugin, constructed through its factory part.
        var evaluator = (IEvaluator)new Coin.Engine.Plugins.ComponentFactory<CaptionEvaluator>().Create(new NoOptions(), context);
        Assert.That(evaluator.Metric, Is.EqualTo("CIDEr"));
        Assert.That(evaluator, Is.Not.InstanceOf<IScoresEachAnswer>(), "corpus metrics have no per-answer score");
    }
}
