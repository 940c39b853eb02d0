using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Engine.Modeling;
using Coin.Engine.Results;
using Coin.Nn.Safetensors;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Engine.Checkpoints;

/// <summary>Where a checkpoint stands: before step <see cref="Step"/> of task <see cref="TaskIndex"/> (step 0: the
/// task has started — its updater hooks ran — but not trained; the task's step count: trained, not yet folded in and
/// evaluated), with what that task had measured so far. <see cref="TaskIndex"/> equal to the number of tasks: every
/// task is done, only the report remains.</summary>
public sealed record CheckpointPosition(int TaskIndex, int Step, long GlobalStep, double TaskSeconds, double FirstLoss, double LastLoss = double.NaN, double InputSeconds = 0)
{
    /// <summary>What is wrong with the fields taken alone (a damaged or edited state.json), or null; the fields are
    /// checked against the run's plan where it is known (<c>StreamSession</c>).</summary>
    public string? Problem()
    {
        if (TaskIndex < 0) return $"position.taskIndex is {TaskIndex}; expected 0 or more";
        if (Step < 0) return $"position.step is {Step}; expected 0 or more";
        if (GlobalStep < Step) return $"position.globalStep is {GlobalStep}, less than position.step ({Step})";
        if (!double.IsFinite(TaskSeconds) || TaskSeconds < 0) return $"position.taskSeconds is {TaskSeconds}; expected a time in seconds";
        if (!double.IsFinite(InputSeconds) || InputSeconds < 0 || InputSeconds > TaskSeconds) return $"position.inputSeconds is {InputSeconds}; expected 0 up to taskSeconds ({TaskSeconds})";
        if (double.IsInfinity(FirstLoss) || double.IsInfinity(LastLoss)) return "position.firstLoss and lastLoss must be numbers or NaN";
        return null;
    }
}

/// <summary>A run's checkpoint in <c>RUN_DIR/checkpoint/</c>: the trainable weights, the optimiser state (within a
/// task), every <see cref="ICheckpointable"/> component's state, and the position. Written into a staging folder that
/// replaces the previous checkpoint by renames, so a crash at any moment leaves one complete checkpoint. It also holds
/// the journal's state at that point (the step log's length, the results so far): the checkpoint is the run's commit
/// point, and a resumed run rolls its files back to it (see <see cref="Journal.RunJournal"/>).</summary>
public static class RunCheckpoint
{
    public const string FolderName = "checkpoint";
    public const string StateFile = "state.json";
    private const string ModelFile = "model.safetensors";
    private const string OptimizerFile = "optimizer.bin";
    private const int FormatVersion = 2;

    public sealed record Loaded(string Folder, CheckpointPosition Position, JsonObject Components, JsonObject Journal)
    {
        public string? OptimizerState => File.Exists(Path.Combine(Folder, OptimizerFile)) ? Path.Combine(Folder, OptimizerFile) : null;
    }

    public static void Write(string runDirectory, CheckpointPosition position, MultimodalModel model, OptimizerHelper? optimizer,
        IReadOnlyDictionary<string, object> components, JsonObject journal)
    {
        string target = Path.Combine(runDirectory, FolderName);
        string staging = target + ".partial";
        string old = target + ".old";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);

        ModelState.Save(model, Path.Combine(staging, ModelFile), trainableOnly: true);
        optimizer?.save_state_dict(Path.Combine(staging, OptimizerFile));
        var componentsJson = new JsonObject();
        foreach (var (key, component) in components)
            if (component is ICheckpointable checkpointable) componentsJson[key] = ComponentStateFiles.Save(staging, key, checkpointable);
        var json = new JsonObject
        {
            ["format"] = FormatVersion,
            ["position"] = JsonSerializer.SerializeToNode(position, ResolvedConfig.Json),
            ["components"] = componentsJson,
            ["journal"] = journal.DeepClone(),
        };
        // The state file last: a staging folder without it was never finished.
        using (var state = new FileStream(Path.Combine(staging, StateFile), FileMode.CreateNew, FileAccess.Write))
        {
            state.Write(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString(ResolvedConfig.Json)));
            state.Flush(flushToDisk: true);
        }

        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        if (Directory.Exists(target)) Directory.Move(target, old);
        Directory.Move(staging, target);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }

    /// <summary>The newest complete checkpoint of a run folder (the previous one, if a crash fell between the two
    /// renames), or null when the run wrote none.</summary>
    public static Loaded? Read(string runDirectory)
    {
        foreach (string name in new[] { FolderName, FolderName + ".old" })
        {
            string folder = Path.Combine(runDirectory, name);
            string stateFile = Path.Combine(folder, StateFile);
            if (!File.Exists(stateFile)) continue;
            try
            {
                var json = JsonNode.Parse(Coin.Nn.Files.InputFile.ReadJsonText(stateFile, Coin.Nn.Files.InputFile.Limits.State, "checkpoint state"))!.AsObject();
                if (json["format"]?.GetValue<int>() != FormatVersion)
                    throw new CoinUserException($"{stateFile}: checkpoint format {json["format"]} is not {FormatVersion}, which this coin writes; it was written by another version of coin");
                var position = json["position"].Deserialize<CheckpointPosition>(ResolvedConfig.Json)!;
                if (position.Problem() is { } problem) throw new CoinUserException($"{stateFile}: {problem}; the checkpoint is damaged — delete the run's checkpoint folder to restart the run");
                var journal = json["journal"]!.AsObject();
                foreach (string key in new[] { "stepLogLength", "taskLogLength" })
                    if (journal[key] is { } length && length.GetValue<long>() < 0)
                        throw new CoinUserException($"{stateFile}: journal.{key} is {length}; expected a length in bytes");
                return new Loaded(folder, position, json["components"]!.AsObject(), journal);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException)
            {
                throw new CoinUserException($"{stateFile}: not a readable checkpoint state ({e.Message})");
            }
        }
        return null;
    }

    public static void RestoreModel(Loaded checkpoint, MultimodalModel model)
        => ModelState.Load(model, Path.Combine(checkpoint.Folder, ModelFile), complete: false);

    /// <summary>Gives a component its saved state (after OnTaskStart of the resumed task).</summary>
    /// <param name="findSample">Looks a saved sample up again by task name and id.</param>
    public static void RestoreComponent(Loaded checkpoint, string key, object component, TaskContext context, Func<string, string, Sample> findSample)
    {
        if (component is not ICheckpointable checkpointable) return;
        if (checkpoint.Components[key] is not JsonObject saved)
            throw new CoinUserException($"{checkpoint.Folder}: no saved state for '{key}', whose plugin keeps state; the checkpoint was written by another configuration");
        ComponentStateFiles.Load(checkpoint.Folder, key, saved, checkpointable, context, findSample);
    }
}
