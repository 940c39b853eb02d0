using System.Text;
using System.Text.Json;
using Coin.Abstractions.Training;

namespace Coin.Engine.Results;

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

    /// <summary>Checks every prediction file of a run folder being resumed: each line a JSON object with a string
    /// <c>task</c> and <c>question_id</c>, as written. A damaged one is named now, before hours of training, not in
    /// the report at the end.</summary>
    public static void CheckAll(string runDirectory)
    {
        string folder = Path.Combine(runDirectory, Folder);
        if (!Directory.Exists(folder)) return;
        foreach (string file in Directory.EnumerateFiles(folder, "*.jsonl"))
        {
            int number = 0;
            foreach (string line in File.ReadLines(Coin.Nn.Files.InputFile.Check(file, Coin.Nn.Files.InputFile.Limits.State, "prediction file")))
            {
                number++;
                if (line.Length == 0) continue;
                string? problem;
                try
                {
                    using var document = JsonDocument.Parse(line);
                    problem = document.RootElement is { ValueKind: JsonValueKind.Object } row
                              && row.TryGetProperty("task", out var task) && task.ValueKind == JsonValueKind.String
                              && row.TryGetProperty("question_id", out var id) && id.ValueKind == JsonValueKind.String
                        ? null
                        : "expected an object with a string task and question_id";
                }
                catch (JsonException e)
                {
                    problem = e.Message.Split(" Path:")[0].Split(" LineNumber:")[0];
                }
                if (problem is not null)
                    throw new Coin.Abstractions.Plugins.CoinUserException($"{file}: line {number} is damaged ({problem}); delete the run folder's predictions and checkpoint folders to restart the run");
            }
        }
    }

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
