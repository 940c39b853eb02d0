using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;

namespace Coin.Plugins.Evaluation.Coin;

internal sealed class CoinEvaluatorOptions
{
    /// <summary><c>coin-compatible</c> reproduces CoIN's scripts, quirks included; <c>clean</c> fixes them.</summary>
    [RegularExpression("^(coin-compatible|clean)$", ErrorMessage = "expected coin-compatible or clean")]
    public string Mode { get; set; } = "coin-compatible";

    /// <summary>The metric for every task; empty uses each task's own (its stream suggests CoIN's metric).</summary>
    [RegularExpression("^(|option-letter|vqa-soft|substring|exact-match|exact-match-gqa|exact-match-ocr|grounding-iou)$",
        ErrorMessage = "expected option-letter, vqa-soft, substring, exact-match, exact-match-gqa, exact-match-ocr or grounding-iou")]
    public string Metric { get; set; } = "";
}

/// <summary>CoIN's per-task metrics. Reference data beyond the answer comes from <see cref="Sample.References"/>:
/// <c>choices</c> (number of options), <c>answers</c> (JSON list, TextVQA's ten), <c>answer_bbox</c>.</summary>
[CoinPlugin(PluginKind.Evaluator, "coin", "0.3.0", "CoIN's per-task metrics (option letter, TextVQA soft accuracy, substring, exact match, grounding IoU)")]
internal sealed class CoinEvaluator(CoinEvaluatorOptions options) : IEvaluator, IScoresEachAnswer
{
    public static readonly string[] Metrics = ["option-letter", "vqa-soft", "substring", "exact-match", "exact-match-gqa", "exact-match-ocr", "grounding-iou"];

    private readonly ScoringMode mode = options.Mode == "clean" ? ScoringMode.Clean : ScoringMode.CoinCompatible;

    public string Metric => options.Metric.Length > 0 ? options.Metric : $"coin ({options.Mode})";

    public TaskScore Evaluate(TaskInfo task, IReadOnlyList<Prediction> predictions)
    {
        string metric = MetricOf(task);
        double total = predictions.Sum(p => Score(metric, p));
        return new TaskScore(metric, predictions.Count == 0 ? 0 : 100.0 * total / predictions.Count, predictions.Count);
    }

    public IReadOnlyList<double> ScoreEach(TaskInfo task, IReadOnlyList<Prediction> predictions)
    {
        string metric = MetricOf(task);
        return predictions.Select(p => 100.0 * Score(metric, p)).ToList();
    }

    private string MetricOf(TaskInfo task)
    {
        string metric = options.Metric.Length > 0 ? options.Metric : task.SuggestedMetric ?? "exact-match";
        return Metrics.Contains(metric) ? metric
            : throw new CoinUserException($"task '{task.Name}' asks for metric '{metric}'; the coin evaluator knows {string.Join(", ", Metrics)}");
    }

    public double Score(string metric, Prediction prediction)
    {
        var sample = prediction.Sample;
        string output = prediction.Output;
        return metric switch
        {
            "option-letter" => CoinMetrics.OptionLetter(output, sample.Answer, int.Parse(Reference(sample, "choices")), mode),
            "vqa-soft" => CoinMetrics.VqaSoftAccuracy(output, JsonSerializer.Deserialize<List<string>>(Reference(sample, "answers"))!, mode),
            "substring" => CoinMetrics.BidirectionalSubstring(output, sample.Answer, mode),
            "exact-match-ocr" => CoinMetrics.ExactMatch(output, sample.Answer, mode, ocrVqa: true),
            "exact-match-gqa" => CoinMetrics.ExactMatchGqa(output, sample.Answer, mode),
            "grounding-iou" => CoinMetrics.Grounding(output, sample.References?.GetValueOrDefault("answer_bbox") ?? sample.Answer, mode),
            _ => CoinMetrics.ExactMatch(output, sample.Answer, mode),
        };
    }

    private static string Reference(Sample sample, string key)
        => sample.References?.GetValueOrDefault(key)
           ?? throw new CoinUserException($"sample '{sample.Id}' of task '{sample.Task}' lacks the reference '{key}' its metric needs");
}
