using System.Collections.Concurrent;
using System.Text.Json;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;

namespace Coin.Plugins.Evaluation.Captions;

/// <summary>Scores generated captions as the COCO caption evaluation (pycocoevalcap) does, as UCIT and CoIN++ report
/// them: every caption and reference tokenized by <see cref="CaptionTokenizer"/>, then CIDEr-D (the primary metric,
/// the one the accuracy matrix uses), BLEU-1..4 and ROUGE-L over the task's whole test set.</summary>
/// <remarks>A sample's references are all the strings of its <c>answers</c> reference (a JSON list, read as the
/// <c>coin</c> evaluator reads TextVQA's ten answers) when it has one, else its single <see cref="Sample.Answer"/>.
/// These are corpus metrics (CIDEr's document frequencies and BLEU's totals span the test set), so there is no
/// per-answer score: the evaluator does not implement <see cref="IScoresEachAnswer"/>.</remarks>
[CoinPlugin(PluginKind.Evaluator, "captions", "0.1.0", "Caption metrics as pycocoevalcap computes them: CIDEr-D (primary, x100), BLEU-1..4 and ROUGE-L (x100)")]
internal sealed class CaptionEvaluator : IEvaluator
{
    /// <summary>The primary metric's name.</summary>
    public const string CiderMetric = "CIDEr";

    /// <summary>The names of the further metrics in <see cref="TaskScore.Others"/>, in order.</summary>
    public static readonly IReadOnlyList<string> OtherMetrics = ["BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L"];

    // A task's references are the same at every stage and tokenizing is the slow part (a fraction of a millisecond
    // per caption), so each task's references are tokenized once per evaluator, keyed by their text; outputs change
    // every stage and are not kept.
    private readonly ConcurrentDictionary<string, string[]> tokenizedReferences = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public string Metric => CiderMetric;

    /// <summary>Scores a task's captions. <see cref="TaskScore.Accuracy"/> is pycocoevalcap's CIDEr-D × 100
    /// (1.05 is reported as 105.0, as papers print it), so unlike the contract's percentages it can exceed 100 (up to
    /// 1000: pycocoevalcap's CIDEr-D is at most 10). <see cref="TaskScore.Others"/> holds
    /// <c>BLEU-1</c>..<c>BLEU-4</c> and <c>ROUGE-L</c>, each × 100 (0 to 100, as papers print them).</summary>
    public TaskScore Evaluate(TaskInfo task, IReadOnlyList<Prediction> predictions)
    {
        if (predictions.Count == 0)
            return new TaskScore(Metric, 0, 0) { Others = OtherMetrics.ToDictionary(name => name, _ => 0.0) };

        // As COCOEvalCap does: one tokenizer call for the candidates and one for all references, image by image,
        // since the lexer's look-ahead can reach from one caption into the next.
        string[] candidates = CaptionTokenizer.Tokenize(predictions.Select(p => p.Output).ToList());
        var referenceLists = predictions.Select(p => ReferencesOf(p.Sample)).ToList();
        var allReferences = referenceLists.SelectMany(r => r).ToList();
        string key = string.Concat(allReferences.Select(r => $"{r.Length}:{r}")); // length-prefixed: unambiguous
        string[] tokenized = tokenizedReferences.GetOrAdd(key, _ => CaptionTokenizer.Tokenize(allReferences));
        var references = new List<IReadOnlyList<string>>(predictions.Count);
        int next = 0;
        foreach (var list in referenceLists)
        {
            references.Add(tokenized[next..(next + list.Count)]);
            next += list.Count;
        }
        double[] bleu = Bleu.Score(candidates, references);
        double rouge = RougeL.Score(candidates, references);
        double cider = Cider.Score(candidates, references);
        return new TaskScore(Metric, 100 * cider, predictions.Count)
        {
            Others = new Dictionary<string, double>
            {
                ["BLEU-1"] = 100 * bleu[0],
                ["BLEU-2"] = 100 * bleu[1],
                ["BLEU-3"] = 100 * bleu[2],
                ["BLEU-4"] = 100 * bleu[3],
                ["ROUGE-L"] = 100 * rouge,
            },
        };
    }

    /// <summary>The reference captions of a sample, untokenized: its <c>answers</c> list when present, else its
    /// answer.</summary>
    public static IReadOnlyList<string> ReferencesOf(Sample sample)
    {
        if (sample.References?.GetValueOrDefault("answers") is not { } json) return [sample.Answer];
        List<string>? answers;
        try
        {
            answers = JsonSerializer.Deserialize<List<string>>(json);
        }
        catch (JsonException e)
        {
            throw new CoinUserException($"sample '{sample.Id}' of task '{sample.Task}': its reference 'answers' is not a JSON list of strings ({e.Message})", e);
        }
        // pycocoevalcap asserts at least one reference per image; a null inside the list would fail later, unnamed.
        if (answers is null || answers.Count == 0 || answers.Any(a => a is null))
            throw new CoinUserException($"sample '{sample.Id}' of task '{sample.Task}': its reference 'answers' must be a non-empty list of strings");
        return answers;
    }
}
