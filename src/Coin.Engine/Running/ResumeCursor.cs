using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Engine.Checkpoints;
using Coin.Engine.Results;

namespace Coin.Engine.Running;

/// <summary>Where a run stands as its stages begin, which each stage consults instead of the checkpoint: a new run's
/// cursor is at the start, and every stage runs in full; a resumed run's is at its checkpoint, so the base model's
/// rows and the zero-shot row are already in the folder, the tasks before the checkpoint's are done, and the task it is
/// in continues from its saved state (<see cref="Into"/>). Every check of a checkpoint against the run it resumes is
/// here.</summary>
internal sealed class ResumeCursor
{
    private readonly RunCheckpoint.Loaded? checkpoint;

    public ResumeCursor(RunCheckpoint.Loaded? checkpoint) => this.checkpoint = checkpoint;

    /// <summary>The run continues from a checkpoint: the stages before the first task (the base model's rows, the
    /// zero-shot row) are in the folder already.</summary>
    public bool Resumed => checkpoint is not null;

    /// <summary>The task the stream continues with.</summary>
    public int FirstTask => checkpoint?.Position.TaskIndex ?? 0;

    /// <summary>Every task is trained and evaluated; only the report remains.</summary>
    public bool PastLastTask(int tasks) => checkpoint?.Position.TaskIndex == tasks;

    /// <summary>The task the checkpoint is inside, with what it saved; null for a task that starts afresh.</summary>
    public TaskResume? Into(int task) => checkpoint is not null && task == checkpoint.Position.TaskIndex ? new TaskResume(checkpoint) : null;

    /// <summary>The line that says where the run continues; null for a new run.</summary>
    public string? Describe(int tasks) => checkpoint is not { Position: var position } ? null
        : position.TaskIndex == tasks ? $"resuming after the last task from {checkpoint.Folder}"
        : $"resuming before step {position.Step} of task {position.TaskIndex + 1} from {checkpoint.Folder}";

    /// <summary>The results the checkpoint carries against the stream it resumes: the same tasks, and exactly the rows
    /// of the stages before its position, each once (the resumed run adds the later ones again).</summary>
    public void Check(RunResults results, IReadOnlyList<TaskInfo> tasks, string zeroShotLabel)
    {
        if (checkpoint is null) return;
        var position = checkpoint.Position;
        if (position.TaskIndex > tasks.Count || !results.Tasks.SequenceEqual(tasks.Select(t => t.Name)))
            throw new CoinUserException($"{checkpoint.Folder}: the checkpoint is at task {position.TaskIndex + 1} of [{string.Join(", ", results.Tasks)}], " +
                                        $"but the data source now has [{string.Join(", ", tasks.Select(t => t.Name))}]");
        // One accuracy row and one training record per task before the position (an edited or mismatched state.json
        // would otherwise run on and fail in the report).
        if (results.AccuracyMatrix.Count != position.TaskIndex || results.Training.Count != position.TaskIndex)
            throw new CoinUserException($"{checkpoint.Folder}: the checkpoint is at task {position.TaskIndex + 1} but carries the results of " +
                                        $"{results.AccuracyMatrix.Count} evaluated and {results.Training.Count} trained tasks; expected {position.TaskIndex} of each. " +
                                        Damaged);
        var stages = results.Tasks.Take(position.TaskIndex).Prepend(zeroShotLabel).ToHashSet();
        var rows = results.Scores.Select(r => (Kind: "scores", r.AfterTask, r.Task, Key: r.Metric))
            .Concat(results.AnswerFormats.Select(r => (Kind: "answerFormats", r.AfterTask, r.Task, Key: "")));
        if (rows.FirstOrDefault(r => !stages.Contains(r.AfterTask)) is { Kind: not null } late)
            throw new CoinUserException($"{checkpoint.Folder}: the checkpoint is at task {position.TaskIndex + 1} but its results hold {late.Kind} after '{late.AfterTask}'; " +
                                        "expected only stages before it. " + Damaged);
        if (rows.GroupBy(r => r).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new CoinUserException($"{checkpoint.Folder}: the checkpoint's results hold {twice.Key.Kind} of task '{twice.Key.Task}' after '{twice.Key.AfterTask}' {twice.Count()} times; " +
                                        "expected once. " + Damaged);
    }

    private const string Damaged = "The checkpoint is damaged — delete the run's checkpoint folder to restart the run";
}

/// <summary>A task resumed from the checkpoint inside it: its components' and model's saved state, and the step,
/// optimiser state and measurements the trainer continues from.</summary>
internal sealed class TaskResume(RunCheckpoint.Loaded checkpoint)
{
    private CheckpointPosition Position => checkpoint.Position;

    /// <summary>The saved state of the component under <paramref name="key"/>, if it keeps one (an adapter that
    /// changes per task rebuilds its earlier modules from it before this task's are added).</summary>
    public void RestoreComponent(string key, object component, TaskContext context, Func<string, string, Sample> findSample)
        => RunCheckpoint.RestoreComponent(checkpoint, key, component, context, findSample);

    /// <summary>The trainable weights into the model, and the trainer's global step.</summary>
    public void RestoreModel(Modeling.MultimodalModel model, TaskTrainer trainer)
    {
        RunCheckpoint.RestoreModel(checkpoint, model);
        trainer.GlobalStep = Position.GlobalStep;
    }

    public TaskTrainer.ResumePoint Point => new(Position.Step, checkpoint.OptimizerState, Position.TaskSeconds, Position.FirstLoss, Position.LastLoss, Position.InputSeconds);

    /// <summary>The task's steps were all taken before the stop (it stopped between training and evaluation).</summary>
    public bool Trained(int totalSteps) => Position.Step == totalSteps;

    /// <summary>The checkpoint's step against the task's plan, and its global step against the earlier tasks'.</summary>
    public void Check(string task, int totalSteps, long stepsBefore)
    {
        if (Position.Step > totalSteps)
            throw new CoinUserException($"{checkpoint.Folder}: the checkpoint is at step {Position.Step} of task '{task}', which has {totalSteps} steps in this run's plan");
        if (Position.GlobalStep != stepsBefore + Position.Step)
            throw new CoinUserException($"{checkpoint.Folder}: the checkpoint's global step {Position.GlobalStep} is not the {stepsBefore} steps of the earlier tasks plus its step {Position.Step}");
    }
}
