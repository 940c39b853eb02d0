using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Engine.Checkpoints;
using Coin.Engine.Configuration;
using Coin.Engine.Modeling;
using Coin.Engine.Results;
using TorchSharp.Modules;

namespace Coin.Engine.Running;

/// <summary>The base model's stages checkpointed as a task is: every <c>training.checkpointEverySteps</c> steps, and
/// when a signal stops the run, the weights, the optimiser, the position and the step rows so far go into
/// <c>&lt;entry&gt;.progress/</c> beside the cache entry being trained. The next run that takes the entry's lock (the
/// same run resumed, or any run with the same base model) continues from there, and ends with the base model an
/// uninterrupted run would have trained: a step's samples and torch's generator are functions of the seed and the step.
/// The folder is removed once the entry is stored.</summary>
/// <remarks>The files of a checkpoint are named by its stage and step and written before the state file that names
/// them, which is replaced atomically; a kill at any moment leaves the previous state and its files.</remarks>
internal sealed class BaseModelProgress(string entry, JsonNode keyMaterial)
{
    public string Folder { get; } = entry + ".progress";

    private string StateFile => Path.Combine(Folder, "state.json");

    /// <summary>Where a stage stopped: the next step and what the stage had measured by then; the first stage's
    /// summary when the second was under way.</summary>
    public sealed record Position(string Stage, int Step, double Seconds, double FirstLoss, double LastLoss, double InputSeconds, BaseStageInfo? FirstStage);

    /// <summary>A checkpoint read back: its position, its files, and the step rows the stages had logged.</summary>
    public sealed record Saved(Position Position, string Weights, string Optimizer, StepLog Rows);

    public void Write(Position position, MultimodalModel model, OptimizerHelper optimizer, StepLog rows)
    {
        Directory.CreateDirectory(Folder);
        string tag = $"{position.Stage}-{position.Step}";
        ModelState.Save(model, Path.Combine(Folder, $"model-{tag}.safetensors"));
        optimizer.save_state_dict(Path.Combine(Folder, $"optimizer-{tag}.bin"));
        string rowsFolder = Path.Combine(Folder, $"steps-{tag}");
        if (Directory.Exists(rowsFolder)) Directory.Delete(rowsFolder, recursive: true);
        Directory.CreateDirectory(rowsFolder);
        using (var file = Journal.StepLogFile.Open(rowsFolder, 0))
        {
            foreach (var (task, step, name, value) in rows.Rows) file.Add(task, step, name, value);
            file.Commit();
        }
        var state = new JsonObject
        {
            ["key"] = keyMaterial.DeepClone(),
            ["position"] = JsonSerializer.SerializeToNode(position, ResolvedConfig.Json),
            ["tag"] = tag,
        };
        Results.AtomicFile.WriteAllText(StateFile, state.ToJsonString(ResolvedConfig.Json));
        // The previous checkpoint's files, now that the state names this one's.
        foreach (string old in Directory.EnumerateFileSystemEntries(Folder).Where(p => Path.GetFileName(p) != "state.json" && !Path.GetFileName(p).Contains($"-{tag}", StringComparison.Ordinal)))
            if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
            else File.Delete(old);
    }

    /// <summary>The checkpoint to continue from, or null when there is none. One that does not belong to this base
    /// model, or does not read back, is refused naming the folder (it is never silently trained over).</summary>
    public Saved? Read(Func<string, int> stepsOfStage)
    {
        if (!File.Exists(StateFile)) return null;
        string Damaged(string why) => $"{Folder}: the base model's checkpoint {why}; delete the folder to train the base model from its start";
        JsonNode state;
        Position position;
        try
        {
            state = JsonNode.Parse(Coin.Nn.Files.InputFile.ReadJsonText(StateFile, Coin.Nn.Files.InputFile.Limits.State, "base-model checkpoint")) ?? throw new JsonException("empty");
            position = state["position"].Deserialize<Position>(ResolvedConfig.Json) ?? throw new JsonException("no position");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new Abstractions.Plugins.CoinUserException(Damaged($"is not readable ({e.Message})"));
        }
        if (!JsonNode.DeepEquals(state["key"], keyMaterial)) throw new Abstractions.Plugins.CoinUserException(Damaged("was written for other settings"));
        if (position.Stage is not (BaseStageRows.TaskName or BaseStageRows.InstructionTaskName))
            throw new Abstractions.Plugins.CoinUserException(Damaged($"names an unknown stage '{position.Stage}'"));
        if (position.Step < 0 || position.Step > stepsOfStage(position.Stage))
            throw new Abstractions.Plugins.CoinUserException(Damaged($"is at step {position.Step}, outside the stage's {stepsOfStage(position.Stage)} steps"));
        if (!double.IsFinite(position.Seconds) || position.Seconds < 0 || (position.Stage == BaseStageRows.InstructionTaskName) != (position.FirstStage is not null))
            throw new Abstractions.Plugins.CoinUserException(Damaged("holds an inconsistent position"));
        string tag = $"{position.Stage}-{position.Step}";
        if (state["tag"]?.GetValue<string>() != tag) throw new Abstractions.Plugins.CoinUserException(Damaged("holds an inconsistent position"));
        string weights = Path.Combine(Folder, $"model-{tag}.safetensors"), optimizer = Path.Combine(Folder, $"optimizer-{tag}.bin");
        foreach (string file in new[] { weights, optimizer })
            if (!File.Exists(file)) throw new Abstractions.Plugins.CoinUserException(Damaged($"lacks {Path.GetFileName(file)}"));
        var rows = Journal.StepLogFile.Read(Path.Combine(Folder, $"steps-{tag}", Journal.StepLogFile.FileName));
        return new Saved(position, weights, optimizer, rows);
    }

    public void Remove()
    {
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
    }
}
