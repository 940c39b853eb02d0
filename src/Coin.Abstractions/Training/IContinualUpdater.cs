namespace Coin.Abstractions.Training;

/// <summary>A method against forgetting (sequential, EMA, LLaCA, EWC, replay, LwF, …): a set of
/// <see cref="ITrainingHooks"/>, discovered under the <c>continual</c> kind. A run may list several (<c>"continual":
/// [{ "type": "replay" }, { "type": "llaca" }]</c>); their hooks are called in that order. Implement only the hooks
/// the method uses.</summary>
public interface IContinualUpdater : ITrainingHooks
{
}
