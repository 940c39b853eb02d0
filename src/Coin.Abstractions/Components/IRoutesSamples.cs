using Coin.Abstractions.Data;

namespace Coin.Abstractions.Components;

/// <summary>Optional for an adapter or a training hook that chooses, sample by sample, which of its parts answer at
/// evaluation (contract 2.0): a per-task LoRA bank routing each sample to a task's LoRA, a mixture of experts gated by
/// task. Called before every evaluation batch is generated.</summary>
public interface IRoutesSamples
{
    /// <summary>Chooses for the batch about to be generated; what it chooses holds until the next call.</summary>
    void Route(RoutingContext context);
}

/// <summary>An evaluation batch to route.</summary>
/// <param name="Samples">The batch's samples, in batch order.</param>
/// <param name="Task">The task the batch belongs to under the task-aware protocol (<c>evaluation.protocol:
/// task-aware</c>); null under the task-agnostic one, where the router must infer it from the samples.</param>
/// <param name="Model">The model about to generate.</param>
public sealed record RoutingContext(IReadOnlyList<Sample> Samples, TaskInfo? Task, IMultimodalModel Model);
