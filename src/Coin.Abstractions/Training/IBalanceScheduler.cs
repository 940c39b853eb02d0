namespace Coin.Abstractions.Training;

/// <summary>Watches each component's learning and sets per-component learning rates (in
/// <see cref="ITrainingHooks.AfterBackward"/>, through <see cref="StepContext.LearningRates"/>); may add an auxiliary
/// loss (CoMMIT, through <see cref="ITrainingHooks.ExtraLoss"/>). A set of <see cref="ITrainingHooks"/> discovered under
/// the <c>balance</c> kind; its hooks run after the continual updaters' at every point.</summary>
public interface IBalanceScheduler : ITrainingHooks
{
}
