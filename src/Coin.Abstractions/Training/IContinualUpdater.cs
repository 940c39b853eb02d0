using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using TorchSharp;

namespace Coin.Abstractions.Training;

/// <summary>Hooks around the task stream against forgetting (sequential, EMA, LLaCA, EWC, replay, LwF).</summary>
/// <remarks>Call order: <see cref="OnTaskStart"/>; per step (per micro-batch) <see cref="BeforeForward"/>, the
/// forward pass, <see cref="ExtraLoss"/> (before backward),
/// optimiser step, <see cref="AfterStep"/>; then <see cref="OnTaskEnd"/> before the stream's evaluation.
/// Tensors kept across steps (EMA copies, Fisher) must be created outside the step's dispose scope or moved out of
/// it, and are the updater's to dispose (it is <see cref="IDisposable"/> when it holds any).</remarks>
public interface IContinualUpdater
{
    /// <summary>Before the first step of a task.</summary>
    void OnTaskStart(TaskContext context);

    /// <summary>Samples to mix into the task's training data (replay), or empty.</summary>
    IReadOnlyList<Sample> ExtraTrainingSamples(TaskContext context);

    /// <summary>Before the model's forward pass on a batch (e.g. LwF runs the previous model here, while the live
    /// weights may still be swapped without disturbing autograd). Does nothing unless overridden.</summary>
    void BeforeForward(StepContext context, Batch batch) { }

    /// <summary>An extra loss term added before backward, or null.</summary>
    torch.Tensor? ExtraLoss(StepContext context, Batch batch, ModelOutput output);

    /// <summary>After each optimiser step.</summary>
    void AfterStep(StepContext context);

    /// <summary>After the last step of a task, before evaluation (e.g. write EMA weights into the model).</summary>
    void OnTaskEnd(TaskContext context);
}
