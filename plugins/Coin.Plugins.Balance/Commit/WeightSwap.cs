using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Plugins.Balance.Commit;

/// <summary>Copies of some parameters before (and after) an update, to run the model with either version swapped
/// in. The copies live outside every dispose scope until <see cref="Dispose"/>.</summary>
public sealed class WeightSwap : IDisposable
{
    private readonly IReadOnlyList<Parameter> parameters;
    private readonly List<Tensor> before;
    private List<Tensor>? after;

    /// <summary>Copies the parameters as they are now (the "before" version).</summary>
    public WeightSwap(IReadOnlyList<Parameter> parameters)
    {
        this.parameters = parameters;
        before = Copy();
    }

    public IReadOnlyList<Tensor> Before => before;

    /// <summary>Copies the parameters as they are now as the "after" version.</summary>
    public void CaptureAfter() => after = Copy();

    public void UseBefore() => Write(before);

    public void UseAfter() => Write(after ?? throw new InvalidOperationException("CaptureAfter was not called"));

    /// <summary>‖after − before‖₂ over all parameters.</summary>
    public double UpdateNorm()
    {
        if (after is null) return 0;
        using var scope = NewDisposeScope();
        double squares = 0;
        for (int i = 0; i < before.Count; i++) squares += (after[i] - before[i]).pow(2).sum().item<float>();
        return Math.Sqrt(squares);
    }

    /// <summary>Replaces the "before" copies (e.g. from a checkpoint).</summary>
    public void LoadBefore(IReadOnlyList<Tensor> saved)
    {
        using var noGrad = no_grad();
        for (int i = 0; i < before.Count; i++) before[i].copy_(saved[i]);
    }

    private List<Tensor> Copy()
    {
        using var noGrad = no_grad();
        return parameters.Select(p =>
        {
            var copy = p.detach().clone();
            copy.DetachFromDisposeScope();
            return copy;
        }).ToList();
    }

    private void Write(IReadOnlyList<Tensor> source)
    {
        using var noGrad = no_grad();
        for (int i = 0; i < parameters.Count; i++) parameters[i].copy_(source[i]);
    }

    public void Dispose()
    {
        foreach (var t in before) t.Dispose();
        foreach (var t in after ?? []) t.Dispose();
    }
}
