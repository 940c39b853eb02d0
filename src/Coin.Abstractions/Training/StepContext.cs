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
}
