using Coin.Abstractions.Training;

namespace Coin.Abstractions.Components;

/// <summary>Optional for an adapter whose modules change from task to task (contract 2.0): a task's own LoRA added and
/// earlier ones frozen (O-LoRA, LoRA banks), a merge, a re-initialisation. The host sets the model's trainable groups
/// to what these return, and the optimiser of each task is built over them.</summary>
/// <remarks>
/// Order at a task's start: this <see cref="BeginTask"/>, then the training hooks' <c>OnTaskStart</c>. On resume the
/// adapter's saved state (when it is <see cref="ICheckpointable"/>, under the key <c>adapter</c>) is given back first,
/// then <see cref="BeginTask"/> of the resumed task, then the model's trainable weights are loaded: so
/// <see cref="ICheckpointable.LoadState"/> must rebuild the modules of the tasks before, and <see cref="BeginTask"/>
/// must not add a module that already exists. An adapter that is also <see cref="ITrainingHooks"/> (an orthogonality
/// loss, a router's loss) has its hooks called first, before the continual methods'.
/// </remarks>
public interface IAdapterLifecycle
{
    /// <summary>Before the task's first step. Returns the trainable groups from now on (every call, also when unchanged).</summary>
    IReadOnlyList<ParameterGroup> BeginTask(TaskContext context);
}
