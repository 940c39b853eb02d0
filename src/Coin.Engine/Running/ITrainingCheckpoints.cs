using Coin.Engine.Checkpoints;
using Coin.Engine.Composition;
using Coin.Engine.Results;
using TorchSharp.Modules;

namespace Coin.Engine.Running;

/// <summary>Where a trainer saves its position: the stream's checkpoint folder for a task
/// (<see cref="TaskCheckpoints"/>), the cache entry's progress folder for a base-model stage. The trainer calls it every
/// <c>training.checkpointEverySteps</c> steps and when a signal stops it, with its optimiser. The stream also calls it
/// before a task's first step and after its last, with no optimiser (nothing remains to continue); a base-model stage
/// is checkpointed only mid-stage.</summary>
public interface ITrainingCheckpoints
{
    void Write(TrainingPoint point, OptimizerHelper? optimizer);
}

/// <summary>A point between two steps of one task: the next step, and what the task had measured before it.</summary>
public sealed record TrainingPoint(int Step, double Seconds, double FirstLoss, double LastLoss, double InputSeconds)
{
    /// <summary>Before the first step.</summary>
    public static readonly TrainingPoint Start = new(0, 0, double.NaN, double.NaN, 0);
}

/// <summary>A task's checkpoints, into the run's checkpoint folder with everything a resume needs: the model's
/// trainable weights, the optimiser, every component's state and the results so far.</summary>
internal sealed class TaskCheckpoints(Journal.RunJournal journal, int task, TaskTrainer trainer, ComposedExperiment run,
    IReadOnlyDictionary<string, object> components, RunResults results) : ITrainingCheckpoints
{
    public void Write(TrainingPoint point, OptimizerHelper? optimizer)
        => journal.WriteCheckpoint(new CheckpointPosition(task, point.Step, trainer.GlobalStep, point.Seconds, point.FirstLoss, point.LastLoss, point.InputSeconds),
            run.Model, optimizer, components, results);
}
