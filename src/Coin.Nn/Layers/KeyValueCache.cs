using Coin.Abstractions.Components;
using static TorchSharp.torch;

namespace Coin.Nn.Layers;

/// <summary>Past keys and values per layer, [batch, kvHeads, positions, headDim]. Lives across generation steps,
/// so its tensors are detached from every dispose scope and freed here.</summary>
public sealed class KeyValueCache(int layers) : IKeyValueCache
{
    private readonly Tensor?[] keys = new Tensor?[layers];
    private readonly Tensor?[] values = new Tensor?[layers];

    public int Length => keys[0] is { } k ? (int)k.shape[2] : 0;

    /// <summary>Appends this step's keys and values to a layer and returns the full sequences (owned by the cache).</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor newKeys, Tensor newValues)
    {
        keys[layer] = Extend(keys[layer], newKeys);
        values[layer] = Extend(values[layer], newValues);
        return (keys[layer]!, values[layer]!);
    }

    private static Tensor Extend(Tensor? past, Tensor next)
    {
        var joined = past is null ? next.detach().clone() : cat([past, next.detach()], dim: 2);
        joined.DetachFromDisposeScope();
        past?.Dispose();
        return joined;
    }

    public void Dispose()
    {
        foreach (var t in keys) t?.Dispose();
        foreach (var t in values) t?.Dispose();
        Array.Clear(keys);
        Array.Clear(values);
    }
}
