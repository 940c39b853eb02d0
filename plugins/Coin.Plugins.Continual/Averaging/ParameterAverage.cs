using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Plugins.Continual.Averaging;

/// <summary>An exponential moving average of a set of parameters, in float32, kept outside every dispose scope
/// (it lives across steps and tasks) and freed by <see cref="Dispose"/>.</summary>
public sealed class ParameterAverage : IDisposable
{
    private readonly List<(Parameter Live, Tensor Average)> entries = [];

    public ParameterAverage(IEnumerable<Parameter> parameters)
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
    public Tensor Average(int index) => entries[index].Average;

    /// <summary>average ← (1 − α) average + α θ for entry <paramref name="index"/>.</summary>
    public void Blend(int index, double alpha)
    {
        using var noGrad = no_grad();
        var (live, average) = entries[index];
        average.mul_(1 - alpha).add_(live.detach().to_type(ScalarType.Float32), alpha: alpha);
    }

    /// <summary>Copies the live weights into the average (a fresh start).</summary>
    public void Reset()
    {
        using var noGrad = no_grad();
        foreach (var (live, average) in entries) average.copy_(live.detach().to_type(ScalarType.Float32));
    }

    /// <summary>Replaces the live weights by the average (at task end).</summary>
    public void WriteIntoLive()
    {
        using var noGrad = no_grad();
        foreach (var (live, average) in entries) live.copy_(average.to_type(live.dtype));
    }

    public void Dispose()
    {
        foreach (var (_, average) in entries) average.Dispose();
        entries.Clear();
    }
}
