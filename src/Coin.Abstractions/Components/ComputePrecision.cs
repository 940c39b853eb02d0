using TorchSharp;

namespace Coin.Abstractions.Components;

/// <summary>The element type the host asks matrix products to run in during a forward pass: mixed precision without
/// autocast, which TorchSharp 0.107 lacks. Contract 1.2.</summary>
/// <remarks>
/// <para>What the host guarantees: with <c>training.precision: bfloat16</c> every forward pass of a training step —
/// in the <c>BeforeForward</c> hooks of schedulers and continual methods (teachers, references), the model's, and the
/// auxiliary losses — happens inside <see cref="Use"/>(BFloat16); backward passes, optimiser steps, the hooks after
/// the step and those at task start and end run outside it, in float32. <c>evaluation.precision</c> does the same for
/// generation.</para>
/// <para>What a component does with it (as PyTorch's autocast does): linear layers, attention and convolutions cast
/// their inputs and weights to <see cref="Current"/>; normalisation statistics, softmax over the vocabulary, losses and
/// the residual stream stay float32; backbones return float32 logits. <c>Coin.Nn.Layers.AutocastLinear</c> implements
/// the rule for linear layers. A component that ignores it simply computes in float32.</para>
/// <para>Trainable parameters stay float32 (master weights: the cast is part of the graph, so gradients and updates
/// are float32); only frozen linear weights may be stored in bfloat16.</para>
/// </remarks>
public static class ComputePrecision
{
    private static readonly AsyncLocal<torch.ScalarType?> current = new();

    /// <summary>The compute type of matrix products, or null for "each tensor's own type" (float32 everywhere).</summary>
    public static torch.ScalarType? Current => current.Value;

    /// <summary>Sets <see cref="Current"/> until the returned object is disposed (regions nest).</summary>
    public static IDisposable Use(torch.ScalarType? computeType)
    {
        var previous = current.Value;
        current.Value = computeType;
        return new Restore(previous);
    }

    /// <summary>Parses a configuration value: <c>float32</c> (null: no mixed precision) or <c>bfloat16</c>.</summary>
    public static torch.ScalarType? Parse(string precision) => precision switch
    {
        "float32" => null,
        "bfloat16" => torch.ScalarType.BFloat16,
        _ => throw new ArgumentException($"unknown precision '{precision}': expected float32 or bfloat16", nameof(precision)),
    };

    private sealed class Restore(torch.ScalarType? previous) : IDisposable
    {
        private bool disposed;

        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            current.Value = previous;
        }
    }
}
