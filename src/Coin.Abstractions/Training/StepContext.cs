using Coin.Abstractions.Components;
using Coin.Abstractions.Data;

namespace Coin.Abstractions.Training;

/// <summary>Where training stands at one optimiser step.</summary>
/// <param name="Task">The task being trained.</param>
/// <param name="Step">Zero-based optimiser step within the task.</param>
/// <param name="StepsInTask">Total optimiser steps planned for the task.</param>
/// <param name="GlobalStep">Zero-based optimiser step over the whole run.</param>
/// <param name="Model">The model being trained.</param>
/// <param name="LearningRates">The per-group learning rates.</param>
/// <param name="Log">Records a named scalar for this step (plotted and written to the run's logs).</param>
public sealed record StepContext(
    TaskInfo Task,
    int Step,
    int StepsInTask,
    long GlobalStep,
    IMultimodalModel Model,
    ILearningRates LearningRates,
    Action<string, double> Log);

/// <summary>The task boundary an updater is told about.</summary>
/// <param name="Task">The task starting or ending.</param>
/// <param name="Model">The model.</param>
/// <param name="TrainSamples">The task's training samples.</param>
public sealed record TaskContext(TaskInfo Task, IMultimodalModel Model, IReadOnlyList<Sample> TrainSamples)
{
    /// <summary>Every task of the stream in training order (<see cref="TaskInfo.Index"/> is the position in it); empty
    /// when the caller does not know the stream. Added in contract 1.4.</summary>
    public IReadOnlyList<TaskInfo> Stream { get; init; } = [];

    /// <summary>Records a named figure of this task (an importance's total, a memory's size, a routing share): a row of
    /// the run's <c>task-log.csv</c> (task, component, name, value). The host keeps that file with the checkpoint, so when
    /// a resumed run passes a task boundary again (a kill between <see cref="ITrainingHooks.OnTaskEnd"/> and the next
    /// checkpoint) its rows are there once; what a task's start hooks record while a resumed run calls them again to
    /// rebuild is dropped, as their first rows are in the file already. Files a plugin writes itself are not rolled
    /// back. A no-op where the host keeps no log (evaluation of a kept stage). Added in contract 2.5.</summary>
    public Action<string, double> Record { get; init; } = static (_, _) => { };
}
