namespace Coin.Abstractions.Components;

/// <summary>Decides how the model is tuned: which parameters train and what is injected (full, frozen, LoRA…).</summary>
/// <remarks>Called once, after the model is assembled and moved to its device, before the optimiser is built.
/// It sets <c>requires_grad</c> and may replace submodules; the returned groups are what the optimiser trains.</remarks>
public interface IAdapter
{
    /// <summary>Applies the adapter and returns the trainable parameter groups, named by <see cref="ComponentNames"/>.</summary>
    IReadOnlyList<ParameterGroup> Apply(IMultimodalModel model);
}
