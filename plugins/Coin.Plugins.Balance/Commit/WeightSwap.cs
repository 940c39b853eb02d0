using Coin.Nn.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Plugins.Balance.Commit;

/// <summary>The parameters of one side before (and after) an update, to run the model with either version swapped in:
/// two snapshots of the shared training kit.</summary>
internal sealed class WeightSwap : IDisposable
{
    private readonly IReadOnlyList<Parameter> parameters;
    private readonly ParameterSnapshot before;
    private ParameterSnapshot? after;

    /// <summary>Copies the parameters as they are now (the "before" version).</summary>
    public WeightSwap(IReadOnlyList<Parameter> parameters)
    {
        this.parameters = parameters;
        before = new ParameterSnapshot(parameters);
    }

    public IReadOnlyList<Tensor> Before => Enumerable.Range(0, before.Count).Select(before.Copy).ToList();

    /// <summary>Copies the parameters as they are now as the "after" version.</summary>
    public void CaptureAfter()
    {
        after?.Dispose();
        after = new ParameterSnapshot(parameters);
    }

    public void UseBefore() => before.WriteIntoLive();

    /// <summary>Runs <paramref name="action"/> with the "before" version swapped in, then puts the live weights back.</summary>
    public T WithBefore<T>(Func<T> action) => before.WithWeights(action);

    public void UseAfter() => (after ?? throw new InvalidOperationException("CaptureAfter was not called")).WriteIntoLive();

    /// <summary>‖after − before‖₂ over all parameters.</summary>
    public double UpdateNorm()
    {
        if (after is null) return 0;
        using var scope = NewDisposeScope();
        double squares = 0;
        for (int i = 0; i < before.Count; i++) squares += (after.Copy(i) - before.Copy(i)).pow(2).sum().item<float>();
        return Math.Sqrt(squares);
    }

    /// <summary>Replaces the "before" copies (e.g. from a checkpoint).</summary>
    public void LoadBefore(IReadOnlyList<Tensor> saved)
    {
        using var noGrad = no_grad();
        for (int i = 0; i < before.Count; i++) before.Copy(i).copy_(saved[i]);
    }

    public void Dispose()
    {
        before.Dispose();
        after?.Dispose();
    }
}
