using static TorchSharp.torch;

namespace Coin.Plugins.Adapters.OLora;

/// <summary>Which task's update a LoRA bank's layers apply: <see cref="Only"/> one task for every sample (training a
/// task, or the task-aware protocol), or <see cref="PerSample"/> weights [batch, tasks] (routing). Shared by every layer
/// of one bank; the adapter sets it.</summary>
internal sealed class TaskSelection : IDisposable
{
    /// <summary>The one task applied when <see cref="PerSample"/> is null; -1 applies none (the base model).</summary>
    public int? Only { get; private set; } = 0;

    /// <summary>[batch, tasks] float32 weights, kept outside every dispose scope; null when <see cref="Only"/> holds.</summary>
    public Tensor? PerSample { get; private set; }

    public void Select(int task)
    {
        PerSample?.Dispose();
        PerSample = null;
        Only = task;
    }

    public void Select(Tensor weights)
    {
        PerSample?.Dispose();
        PerSample = weights.detach().clone().DetachFromDisposeScope();
        Only = null;
    }

    public void Dispose() => PerSample?.Dispose();
}
