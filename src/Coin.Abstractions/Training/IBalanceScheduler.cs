using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using TorchSharp;

namespace Coin.Abstractions.Training;

/// <summary>Watches each component's learning and sets per-component learning rates; may add an auxiliary loss
/// (CoMMIT). Call order per step: <see cref="BeforeForward"/>, forward, <see cref="AuxiliaryLoss"/> (before backward),
/// backward, <see cref="BeforeOptimizerStep"/> (gradients available, before clipping), clipping, optimiser step,
/// <see cref="AfterOptimizerStep"/>.</summary>
public interface IBalanceScheduler
{
    /// <summary>Before the model's forward pass on a (micro-)batch, while no graph holds the weights: the place to
    /// run the model with other weights swapped in. Does nothing unless overridden.</summary>
    void BeforeForward(StepContext context, Batch batch) { }

    /// <summary>An extra loss term added before backward, or null. Runs in the step's dispose scope.</summary>
    torch.Tensor? AuxiliaryLoss(StepContext context, Batch batch, ModelOutput output);

    /// <summary>Sets <see cref="StepContext.LearningRates"/> for this step.</summary>
    void BeforeOptimizerStep(StepContext context);

    /// <summary>Observes the updated parameters (e.g. measures how the output moved).</summary>
    void AfterOptimizerStep(StepContext context, Batch batch);
}
