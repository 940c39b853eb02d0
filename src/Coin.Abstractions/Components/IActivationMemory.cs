namespace Coin.Abstractions.Components;

/// <summary>Optional on a backbone, an encoder or a connector: what its activations cost in memory, so that <c>coin run --plan</c>
/// and the pre-flight check count them beside the weights, gradients and optimiser state. Added in contract 2.2.</summary>
/// <remarks>An estimate from the architecture, counted from the tensors the component's own forward pass creates
/// (with adapter updates attached to its layers), not a measurement; docs/scale.md sets it beside measured peaks.
/// A component without it is reported as not estimated.</remarks>
public interface IActivationMemory
{
    /// <summary>Bytes a training step holds for one forward pass over <paramref name="batch"/> sequences of
    /// <paramref name="tokens"/> positions (an encoder or a connector: <paramref name="batch"/> inputs), until its backward pass; with
    /// <paramref name="checkpointing"/>, what activation checkpointing keeps plus the one block it recomputes at a time.
    /// Zero when the component does not train and takes no gradient.</summary>
    long TrainingActivationBytes(int batch, int tokens, bool checkpointing);

    /// <summary>Bytes of what generation keeps across steps for <paramref name="batch"/> sequences of up to
    /// <paramref name="tokens"/> positions (a backbone's key/value cache), plus the largest block of one forward pass.</summary>
    long GenerationBytes(int batch, int tokens);
}
