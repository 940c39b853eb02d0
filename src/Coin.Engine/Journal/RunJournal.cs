using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Engine.Checkpoints;
using Coin.Engine.Modeling;
using Coin.Engine.Results;
using TorchSharp.Modules;

namespace Coin.Engine.Journal;

/// <summary>The one owner of a run folder: <c>experiment.json</c>, <c>results.json</c>, <c>steps.csv</c>, the prediction
/// files, the checkpoint and the report. docs/architecture.md ("The run journal") describes the protocol.</summary>
/// <remarks>
/// The checkpoint is the commit point. It records, next to the weights and the components' state, the step log's
/// length and a copy of the results at that moment. Everything written after it (step rows, a results row, a
/// prediction file) is work that a resumed run does again, deterministically; <see cref="Open"/> therefore rolls the
/// folder back to the checkpoint — the step log cut to its length, the results restored from its copy — so a kill
/// at any instant resumes with no hole, no duplicate row and no task evaluated twice. A folder with no checkpoint
/// yet (killed in the base-model stage or the zero-shot evaluation) restarts from the beginning in the same folder.
/// The folder is claimed with a kernel-held lock on <c>run.lock</c> (<see cref="OwnerLock"/>): held while a process runs
/// the folder, released when it ends however it ends.
/// </remarks>
public sealed partial class RunJournal : IDisposable
{
    public const string ExperimentFileName = "experiment.json";
    public const string ResultsFileName = "results.json";
    public const string LockFileName = "run.lock";
    public const string ReportFileName = "report.md";

    private readonly OwnerLock ownerLock;
    private readonly bool namedByTime;

    private RunJournal(string directory, OwnerLock ownerLock, RunCheckpoint.Loaded? checkpoint, bool namedByTime = false)
    {
        this.namedByTime = namedByTime;
        Directory = directory;
        this.ownerLock = ownerLock;
        Steps = StepLogFile.Open(directory, checkpoint?.Journal["stepLogLength"]?.GetValue<long>() ?? 0);
        TaskLog = TaskLogFile.Open(directory, checkpoint?.Journal["taskLogLength"]?.GetValue<long>() ?? 0);
        Checkpoint = checkpoint;
    }

    public string Directory { get; }

    /// <summary>The step log, appended as training goes.</summary>
    public StepLogFile Steps { get; }

    /// <summary>The figures plugins record per task (<c>task-log.csv</c>), appended as tasks start and end.</summary>
    public TaskLogFile TaskLog { get; }

    /// <summary>The checkpoint a resumed run continues from; null for a new run or one that restarts.</summary>
    public RunCheckpoint.Loaded? Checkpoint { get; }

    private string ResultsPath => Path.Combine(Directory, ResultsFileName);

    /// <summary>SHA-256 of experiment.json (recorded in the results, so a resume can tell an edited file).</summary>
    public string ExperimentSha256 => Sha256(Path.Combine(Directory, ExperimentFileName));

    /// <summary>Claims a new folder <c>{output}/{name}-{UTC time}</c> (with a suffix when another process took that
    /// name in the same second) and writes the experiment into it.</summary>
    public static RunJournal Create(string output, string name, string experimentJson, Configuration.ExperimentSource origin)
    {
        string stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss");
        for (int attempt = 1; attempt < 10_000; attempt++)
        {
            string path = Path.Combine(output, attempt == 1 ? $"{name}-{stamp}" : $"{name}-{stamp}-{attempt}");
            if (System.IO.Directory.Exists(path) && System.IO.Directory.EnumerateFileSystemEntries(path).Any()) continue;
            try
            {
                System.IO.Directory.CreateDirectory(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CoinUserException($"output: cannot create run folder '{path}': {e.Message}");
            }
            // Two processes may both have created (or found) the empty folder: the lock file decides, and the loser
            // moves on. A folder that has anything besides our lock belongs to a run that got there first.
            if (OwnerLock.TryAcquire(Path.Combine(path, LockFileName), out _) is not { } claimed) continue;
            if (!OnlyLock(path))
            {
                claimed.Dispose();
                continue;
            }
            WriteStart(path, experimentJson, origin);
            return new RunJournal(path, claimed, null, namedByTime: true);
        }
        throw new CoinUserException($"output: no free run folder name for '{name}-{stamp}' in '{output}'");
    }

    /// <summary>Claims exactly <paramref name="directory"/> for a new run (a sweep cell's folder): it must be absent
    /// or empty, and no other process may hold it.</summary>
    public static RunJournal CreateAt(string directory, string experimentJson, Configuration.ExperimentSource origin)
    {
        try
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CoinUserException($"--run-dir: cannot create run folder '{directory}': {e.Message}");
        }
        var claimed = OwnerLock.TryAcquire(Path.Combine(directory, LockFileName), out var holder)
                      ?? throw new CoinUserException($"--run-dir: '{directory}' is claimed by {holder?.ToString() ?? "another process"} ({Path.Combine(directory, LockFileName)})");
        if (!OnlyLock(directory))
        {
            claimed.Dispose();
            throw new CoinUserException($"--run-dir: '{directory}' already holds a run; continue it with coin run --resume {directory}");
        }
        WriteStart(directory, experimentJson, origin);
        return new RunJournal(directory, claimed, null);
    }

    public const string OriginFileName = "origin.json";

    /// <summary>The experiment, and where it came from (what its relative paths resolve against): a run killed before
    /// its first results.json still resumes with the right paths.</summary>
    private static void WriteStart(string directory, string experimentJson, Configuration.ExperimentSource origin)
    {
        AtomicFile.WriteAllText(Path.Combine(directory, OriginFileName), JsonSerializer.Serialize(origin, ResolvedConfig.Json));
        AtomicFile.WriteAllText(Path.Combine(directory, ExperimentFileName), experimentJson);
    }

    /// <summary>The origin a run folder recorded; null for folders written before it was recorded.</summary>
    public static Configuration.ExperimentSource? ReadOrigin(string directory)
    {
        try
        {
            return JsonSerializer.Deserialize<Configuration.ExperimentSource>(Coin.Nn.Files.InputFile.ReadJsonText(Path.Combine(directory, OriginFileName), Coin.Nn.Files.InputFile.Limits.State, "run origin"), ResolvedConfig.Json);
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    /// <summary>True when the folder holds nothing but a lock (and its owner description): free to claim.</summary>
    private static bool OnlyLock(string directory)
        => System.IO.Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).All(n => n is LockFileName or LockFileName + ".owner");

    /// <summary>Opens a run folder to continue it, rolled back to its last checkpoint (see the remarks).</summary>
    public static RunJournal Open(string directory)
    {
        var taken = OwnerLock.TryAcquire(Path.Combine(directory, LockFileName), out var holder)
                    ?? throw new CoinUserException($"--resume: '{directory}' is being run by {holder?.ToString() ?? "another process"} " +
                                                   $"(it holds {Path.Combine(directory, LockFileName)}); wait for it to end");
        try
        {
            // A write cut short by a kill or a full disk leaves NAME.PID.tmp beside NAME; the lock makes them no one's now.
            foreach (string leftover in System.IO.Directory.EnumerateFiles(directory, "*.tmp").Where(f => TemporaryName().IsMatch(Path.GetFileName(f))))
                File.Delete(leftover);
            var checkpoint = RunCheckpoint.Read(directory);
            if (checkpoint is not null) PredictionFile.CheckAll(directory);
            if (checkpoint is null)
            {
                string predictions = Path.Combine(directory, PredictionFile.Folder);
                if (System.IO.Directory.Exists(predictions)) System.IO.Directory.Delete(predictions, recursive: true);
            }
            return new RunJournal(directory, taken, checkpoint);
        }
        catch
        {
            taken.Dispose();
            throw;
        }
    }

    /// <summary>The results as of the checkpoint (null without one: the run starts again).</summary>
    public RunResults? ResultsAtCheckpoint()
        => Checkpoint?.Journal["results"]?.Deserialize<RunResults>(ResolvedConfig.Json);

    /// <summary>results.json and accuracy-matrix.csv, each replaced atomically.</summary>
    public void SaveResults(RunResults results)
    {
        AtomicFile.WriteAllText(ResultsPath, JsonSerializer.Serialize(results, ResolvedConfig.Json));
        AtomicFile.WriteAllText(Path.Combine(Directory, AccuracyMatrixCsv.FileName), AccuracyMatrixCsv.ToCsv(results));
    }

    public void WritePredictions(string stage, IEnumerable<ScoredPrediction> predictions) => PredictionFile.Write(Directory, stage, predictions);

    public const string StagesFolder = "stages";

    /// <summary>The trainable weights an evaluation stage was scored with (<c>stages/&lt;stage&gt;.safetensors</c>): what
    /// <c>coin evaluate --stage S --shard i/n</c> loads to score a stage again, in parts, elsewhere. An adapter that
    /// changes per task also keeps its state there (<c>&lt;stage&gt;.adapter.json</c> and its tensors): the earlier
    /// tasks' frozen modules and whatever it routes by, which the trainable weights do not hold.</summary>
    public void WriteStageWeights(string stage, MultimodalModel model, object? adapter = null)
    {
        string folder = Path.Combine(Directory, StagesFolder);
        System.IO.Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, stage + ".safetensors");
        string temporary = $"{path}.{Environment.ProcessId}.tmp";
        ModelState.Save(model, temporary, trainableOnly: true);
        File.Move(temporary, path, overwrite: true);
        if (adapter is Abstractions.Components.IAdapterLifecycle and ICheckpointable checkpointable)
            AtomicFile.WriteAllText(StageAdapterFile(Directory, stage), ComponentStateFiles.Save(folder, StageAdapterKey(stage), checkpointable).ToJsonString());
    }

    /// <summary>Ends the name of a stage's adapter state files (<c>after-01-X.adapter.json</c>, <c>.adapter.safetensors</c>).</summary>
    public const string StageAdapterSuffix = ".adapter";

    public static string StageAdapterKey(string stage) => stage + StageAdapterSuffix;

    public static string StageAdapterFile(string runDirectory, string stage) => Path.Combine(runDirectory, StagesFolder, StageAdapterKey(stage) + ".json");

    /// <summary>A checkpoint at a step boundary: the step log made durable first, then weights, optimiser, components
    /// and the journal's state (step log length, results so far) swapped in as one folder.</summary>
    public void WriteCheckpoint(CheckpointPosition position, MultimodalModel model, OptimizerHelper? optimizer,
        IReadOnlyDictionary<string, object> components, RunResults results)
    {
        var state = new JsonObject
        {
            ["stepLogLength"] = Steps.Commit(),
            ["taskLogLength"] = TaskLog.Commit(),
            ["results"] = JsonSerializer.SerializeToNode(results, ResolvedConfig.Json),
        };
        RunCheckpoint.Write(Directory, position, model, optimizer, components, state);
    }

    /// <summary>Reads a run folder's results.json, naming the file when it cannot.</summary>
    public static RunResults ReadResults(string directory)
    {
        string path = Path.Combine(directory, ResultsFileName);
        if (!File.Exists(path)) throw new CoinUserException($"{path} is missing; is '{directory}' a run folder of coin run?");
        try
        {
            return JsonSerializer.Deserialize<RunResults>(Coin.Nn.Files.InputFile.ReadJsonText(path, Coin.Nn.Files.InputFile.Limits.State, "results file"), ResolvedConfig.Json) ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new CoinUserException($"{path}: not a readable results file ({e.Message})");
        }
    }

    /// <summary>Removes the folder of a new run that failed before it produced anything (a refused combination, a
    /// component that could not be created), so failed starts leave no empty folders behind.</summary>
    public void Discard()
    {
        Steps.Dispose();
        TaskLog.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
        ownerLock.Dispose();
        // The output folder too, if this run created it and left it empty (not a folder someone named with --run-dir).
        string? output = Path.GetDirectoryName(Directory);
        if (namedByTime && output is not null && !System.IO.Directory.EnumerateFileSystemEntries(output).Any()) System.IO.Directory.Delete(output);
    }

    public static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    public void Dispose()
    {
        Steps.Dispose();
        TaskLog.Dispose();
        ownerLock.Dispose();
    }

    /// <summary>A temporary file of <see cref="AtomicFile"/> or the results writer: NAME.PID.tmp.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^.+\.[0-9]+\.tmp$")]
    private static partial System.Text.RegularExpressions.Regex TemporaryName();
}
