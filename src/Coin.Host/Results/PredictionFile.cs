using System.Text;
using System.Text.Json;
using Coin.Abstractions.Training;

namespace Coin.Host.Results;

/// <summary>A generated answer with its own score (percent), or null when the metric scores only the whole set.</summary>
public sealed record ScoredPrediction(Prediction Prediction, double? Score);

/// <summary>Every generated answer of one evaluation stage as JSON lines (<c>predictions/&lt;stage&gt;.jsonl</c>), like
/// CoIN's answer files: what a user reads to see why a score is what it is, and what other scorers can re-score.</summary>
public static class PredictionFile
{
    public const string Folder = "predictions";

    public const string ZeroShotStage = "zero-shot";

    /// <summary>Answers as a person reads them: "&lt;image&gt;", quotes and non-ASCII text written as themselves, not as
    /// \u escapes (the files are data, never embedded in HTML).</summary>
    public static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>File name of the evaluation after a task: <c>after-03-ImageNet</c> for the third.</summary>
    public static string AfterTaskStage(int taskIndex, string taskName) => $"after-{taskIndex + 1:D2}-{taskName}";

    public static string Write(string runDirectory, string stage, IEnumerable<ScoredPrediction> predictions)
    {
        string folder = Path.Combine(runDirectory, Folder);
        Directory.CreateDirectory(folder);
        var text = new StringBuilder();
        foreach (var (p, score) in predictions)
        {
            var row = new Dictionary<string, object?>
            {
                ["task"] = p.Sample.Task,
                ["question_id"] = p.Sample.Id,
                ["inputs"] = p.Sample.Inputs.Select(i => i.Path ?? $"({i.Modality} in memory)").ToArray(),
                ["question"] = p.Sample.Instruction,
                ["answer"] = p.Sample.Answer,
                ["prediction"] = p.Output,
            };
            // Only where the evaluator scores each answer (IScoresEachAnswer): 0–100, a partial score for soft metrics.
            if (score is { } s) row["score"] = s;
            text.Append(JsonSerializer.Serialize(row, Readable)).Append('\n');
        }
        string path = Path.Combine(folder, stage + ".jsonl");
        AtomicFile.WriteAllText(path, text.ToString());
        return path;
    }
}
