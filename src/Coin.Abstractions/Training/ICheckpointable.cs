using System.Text.Json.Nodes;
using Coin.Abstractions.Data;
using static TorchSharp.torch;

namespace Coin.Abstractions.Training;

/// <summary>A component whose state lives across steps or tasks (EMA copies, Fisher information, a replay buffer,
/// smoothed statistics): it puts that state into checkpoints so <c>coin run --resume</c> continues exactly where
/// the run stopped. A component that keeps nothing across steps does not implement this.</summary>
/// <remarks>On resume the host restores the model's trainable weights, calls <c>OnTaskStart</c> of the task being
/// resumed, then <see cref="LoadState"/>: whatever <c>OnTaskStart</c> set up is overwritten by the saved state.</remarks>
public interface ICheckpointable
{
    /// <summary>Called at a step or task boundary. The host copies the tensors before training goes on.</summary>
    void SaveState(ComponentState state);

    /// <summary>Restores what <see cref="SaveState"/> put. The tensors are the host's: copy them, do not keep them.</summary>
    /// <param name="state">What was saved.</param>
    /// <param name="context">The task being resumed (its model holds the restored weights).</param>
    void LoadState(ComponentState state, TaskContext context);
}

/// <summary>A component's checkpointed state: named tensors (stored as safetensors), plain values (JSON), and lists
/// of samples (stored as task name and sample id, and looked up in the data source again on resume).</summary>
public sealed class ComponentState
{
    public Dictionary<string, Tensor> Tensors { get; } = [];
    public JsonObject Values { get; } = [];
    public Dictionary<string, IReadOnlyList<Sample>> Samples { get; } = [];
}
