using System.Text.Json.Nodes;

namespace Coin.Engine.Results;

/// <summary>What <c>results.json</c> holds. Rewritten after every task, so a crashed run keeps its finished rows.</summary>
public sealed record RunResults
{
    public required VersionInfo Versions { get; init; }
    public required string Name { get; init; }
    public required string Source { get; init; }

    /// <summary>The folder the experiment's relative paths were resolved against (what a resumed run uses again).</summary>
    public required string BaseDirectory { get; init; }
    public required int Seed { get; init; }
    public required string Device { get; init; }
    public required int Threads { get; init; }
    public required JsonNode Config { get; init; }

    /// <summary>The protocol the run was evaluated under (<c>evaluation.protocol</c>); a run from before contract 2.0
    /// records none and routed nothing, which is the default's behaviour.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string EvaluationProtocol => Config["evaluation"]?["protocol"]?.GetValue<string>() ?? Configuration.EvaluationConfig.DefaultProtocol;

    /// <summary>SHA-256 of the run folder's experiment.json as written at the start: a resumed run refuses a file edited since.</summary>
    public string? ExperimentSha256 { get; init; }
    public required IReadOnlyList<ComponentInfo> Components { get; init; }
    public required IReadOnlyList<string> Tasks { get; init; }

    /// <summary>The base model the stream started from (first stage trained or loaded from the cache); null when the
    /// run started from the components as created.</summary>
    public BaseModelInfo? BaseModel { get; set; }

    /// <summary>A[t][i]: accuracy (percent) on task i after training task t; one row per finished task.</summary>
    public required List<double[]> AccuracyMatrix { get; init; }

    /// <summary>Accuracy per task before any training, when evaluation.zeroShot is set.</summary>
    public double[]? ZeroShot { get; set; }

    /// <summary>The accuracy matrix's rows as reports and plots show them: the base model before any task (when the run
    /// measured it, labelled <paramref name="zeroShotLabel"/>), then one row after each trained task.</summary>
    public List<(string Label, double[] Accuracy)> MatrixRows(string zeroShotLabel)
    {
        var rows = new List<(string, double[])>();
        if (ZeroShot is { } zero) rows.Add((zeroShotLabel, zero));
        rows.AddRange(AccuracyMatrix.Select((row, t) => (Tasks[t], row)));
        return rows;
    }

    /// <summary>ACC, MAA, BWT, forgetting, plasticity (and FWT with a zero-shot row) over the rows so far.</summary>
    public ContinualMetrics? Metrics { get; set; }

    public required List<ScoreEntry> Scores { get; init; }

    /// <summary>Per evaluation and task: how many answers are in the task's own answer format, and how many in another
    /// task's (CoIN's instruction-format collapse); see <see cref="AnswerFormats"/>.</summary>
    public List<FormatEntry> AnswerFormats { get; init; } = [];
    public required List<TrainingEntry> Training { get; init; }
    public required string Status { get; set; }
    public required DateTime StartedUtc { get; init; }
    public DateTime? FinishedUtc { get; set; }
}

public sealed record VersionInfo(string Coin, string Contract, string TorchSharp, string TorchBackend);

public sealed record ComponentInfo(string Key, string Kind, string Name, string Version, string Folder);

/// <param name="Others">The evaluator's further metrics of the same answers (contract 2.0), absent when it has one.</param>
public sealed record ScoreEntry(string AfterTask, string Task, string Metric, double Accuracy, int Count,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, double>? Others = null)
{
    public static ScoreEntry From(string afterTask, string task, Abstractions.Training.TaskScore score)
        => new(afterTask, task, score.Metric, score.Accuracy, score.Count, score.Others.Count == 0 ? null : score.Others);
}

/// <param name="InputWaitSeconds">Of <paramref name="TrainSeconds"/>, the time steps waited for their inputs
/// (collation, and the images and audio no <c>data.workers</c> thread had prepared).</param>
public sealed record TrainingEntry(string Task, int Samples, int Steps, double FirstLoss, double FinalLoss, double TrainSeconds, double EvalSeconds,
    double InputWaitSeconds = 0);
