using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Nn.Training;

/// <summary>A float32 copy of a set of parameters, kept outside every dispose scope (it lives across steps and
/// tasks) and freed by <see cref="Dispose"/>: the EMA of EMA/LLaCA, LwF's previous model, EWC's anchor θ*, CoMMIT's
/// weights before an update. Part of the training kit plugin authors share (contract 2.0).</summary>
public sealed class ParameterSnapshot : IDisposable
{
    private readonly List<(Parameter Live, Tensor Copy)> entries = [];

    public ParameterSnapshot(IEnumerable<Parameter> parameters)
    {
        using var noGrad = no_grad();
        foreach (var p in parameters)
        {
            var copy = p.detach().to_type(ScalarType.Float32).clone();
            copy.DetachFromDisposeScope();
            entries.Add((p, copy));
        }
    }

    public int Count => entries.Count;
    public Parameter Live(int index) => entries[index].Live;
    public Tensor Copy(int index) => entries[index].Copy;

    /// <summary>copy ← (1 − α) copy + α θ for entry <paramref name="index"/> (an exponential moving average).</summary>
    public void Blend(int index, double alpha)
    {
        using var noGrad = no_grad();
        var (live, copy) = entries[index];
        copy.mul_(1 - alpha).add_(live.detach().to_type(ScalarType.Float32), alpha: alpha);
    }

    /// <summary>Copies the live weights into the snapshot.</summary>
    public void Reset()
    {
        using var noGrad = no_grad();
        foreach (var (live, copy) in entries) copy.copy_(live.detach().to_type(ScalarType.Float32));
    }

    /// <summary>Replaces the live weights by the snapshot.</summary>
    public void WriteIntoLive()
    {
        using var noGrad = no_grad();
        foreach (var (live, copy) in entries) live.copy_(copy.to_type(live.dtype));
    }

    /// <summary>Runs <paramref name="action"/> with the snapshot's weights in the model and puts the live weights back
    /// afterwards, also when it throws: "the model as it was" (LwF's teacher, CoMMIT's reference). Call it where no
    /// autograd graph holds the weights (before the forward pass, or under no_grad).</summary>
    public T WithWeights<T>(Func<T> action)
    {
        using var noGrad = no_grad();
        var current = entries.Select(e => e.Live.detach().clone()).ToList();
        WriteIntoLive();
        try
        {
            return action();
        }
        finally
        {
            for (int i = 0; i < entries.Count; i++) entries[i].Live.copy_(current[i]);
            foreach (var t in current) t.Dispose();
        }
    }

    /// <summary>‖θ − copy‖₂ over all entries: how far the live weights moved from the snapshot.</summary>
    public double Distance()
    {
        using var scope = NewDisposeScope();
        double squares = 0;
        foreach (var (live, copy) in entries) squares += (live.detach().to_type(ScalarType.Float32) - copy).pow(2).sum().item<float>();
        return Math.Sqrt(squares);
    }

    /// <summary>Puts the copies into a checkpoint as <c>{prefix}.{index}</c>.</summary>
    public void SaveTo(ComponentState state, string prefix)
    {
        for (int i = 0; i < entries.Count; i++) state.Tensors[$"{prefix}.{i}"] = entries[i].Copy;
    }

    /// <summary>Whether a checkpoint holds a snapshot saved under <paramref name="prefix"/>.</summary>
    public static bool IsIn(ComponentState state, string prefix) => state.Tensors.ContainsKey($"{prefix}.0");

    /// <summary>Overwrites the copies with those of a checkpoint.</summary>
    public void LoadFrom(ComponentState state, string prefix) => CheckpointTensors.CopyInto(state, prefix, entries.Select(e => e.Copy).ToList());

    public void Dispose()
    {
        foreach (var (_, copy) in entries) copy.Dispose();
        entries.Clear();
    }
}

/// <summary>Lists of tensors (Fisher diagonals, previous gradients) in and out of checkpoints.</summary>
public static class CheckpointTensors
{
    public static void Save(ComponentState state, string prefix, IReadOnlyList<Tensor> tensors)
    {
        for (int i = 0; i < tensors.Count; i++) state.Tensors[$"{prefix}.{i}"] = tensors[i];
    }

    /// <summary>Copies <c>{prefix}.{i}</c> into each target; a missing or mis-shaped entry means the checkpoint was
    /// written for another model.</summary>
    public static void CopyInto(ComponentState state, string prefix, IReadOnlyList<Tensor> targets)
    {
        using var noGrad = no_grad();
        for (int i = 0; i < targets.Count; i++)
        {
            if (!state.Tensors.TryGetValue($"{prefix}.{i}", out var saved) || !saved.shape.SequenceEqual(targets[i].shape))
                throw new CoinUserException($"checkpoint: '{prefix}.{i}' is missing or has another shape than the model's parameter {i}");
            targets[i].copy_(saved);
        }
    }
}
