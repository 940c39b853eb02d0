using static TorchSharp.torch;

namespace Coin.Nn.Layers;

/// <summary>Releases the managed handles a custom autograd function's backward pass receives and returns, as soon as
/// autograd is done with them.</summary>
/// <remarks>TorchSharp wraps each incoming gradient in a new handle, registered in the dispose scope the backward pass
/// runs under (the training step's), and the gradient a backward returns is a handle in that scope too: each keeps its
/// tensor alive until the step ends, where PyTorch frees it as soon as the next node has used it. With activation
/// checkpointing at 7B widths that held two hidden-state-sized tensors per layer (0.9 GB at the end of the backward
/// pass). Autograd copies a returned gradient out of its handle when the backward returns, so that handle is released
/// at the next backward call on the thread (or with the step's scope, whichever comes first).</remarks>
public static class BackwardHandles
{
    [ThreadStatic] private static List<Tensor>? returned;

    /// <summary>The incoming gradient, once the backward pass no longer needs it.</summary>
    public static void Consumed(Tensor gradOutput) => gradOutput.Dispose();

    /// <summary>A gradient this backward returns: released at the next backward call on this thread.</summary>
    public static Tensor Returned(Tensor gradient)
    {
        (returned ??= []).Add(gradient);
        return gradient;
    }

    /// <summary>Releases what earlier backward calls returned (autograd has taken its own reference by now).</summary>
    public static void ReleaseReturned()
    {
        if (returned is not { Count: > 0 }) return;
        foreach (var gradient in returned) gradient.Dispose();
        returned.Clear();
    }
}
