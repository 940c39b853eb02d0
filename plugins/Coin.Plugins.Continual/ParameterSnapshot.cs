using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Plugins.Continual;

/// <summary>A float32 copy of a set of parameters, kept outside every dispose scope (it lives across steps and
/// tasks) and freed by <see cref="Dispose"/>: the EMA of EMA/LLaCA, LwF's previous model, EWC's anchor θ*.</summary>
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

    public void Dispose()
    {
        foreach (var (_, copy) in entries) copy.Dispose();
        entries.Clear();
    }
}
