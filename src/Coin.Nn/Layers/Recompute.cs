using static TorchSharp.torch;

namespace Coin.Nn.Layers;

/// <summary>Activation checkpointing (PyTorch's reentrant <c>torch.utils.checkpoint</c>, which TorchSharp lacks): a
/// block runs its forward pass without keeping its activations, and runs it again, with gradients, when the backward
/// pass reaches it. Only the block's input is kept. The host turns it on for a training step with <see cref="Use"/>
/// (<c>training.activationCheckpointing</c>); a model applies it per block with <see cref="Run"/>.</summary>
/// <remarks>
/// <para>How: a custom autograd function whose forward runs the block under <c>no_grad</c> in a dispose scope of its
/// own (so the block's intermediate tensors are freed at once, not at the end of the step), and whose backward
/// recomputes the block from a detached copy of the input with gradients on, calls <c>backward</c> on that output
/// with the incoming gradient — which adds the block's parameter gradients into their <c>.grad</c> — and returns the
/// input's gradient.</para>
/// <para>Exactness: the recomputation draws the same random numbers (torch's generator state is saved at the forward
/// pass and restored around the recomputation, as PyTorch's <c>preserve_rng_state</c> does) and runs in the same
/// compute precision; products take the same kernels in both passes (<see cref="InForward"/>), so gradients equal
/// those without checkpointing up to float rounding of the summation order, and a resumed run stays bit-identical
/// to an uninterrupted one.</para>
/// </remarks>
public static class Recompute
{
    private static readonly AsyncLocal<bool> enabled = new();
    [ThreadStatic] private static int forwardDepth;
    private static long blocksRun;

    /// <summary>True inside a training step the host runs with activation checkpointing.</summary>
    public static bool Enabled => enabled.Value;

    /// <summary>True while a block's forward pass runs without gradients under checkpointing: layers that choose a
    /// kernel by whether gradients are on (<see cref="AutocastLinear.Fused"/>) choose as if they were.</summary>
    public static bool InForward => forwardDepth > 0;

    /// <summary>Blocks run under checkpointing since the process started: lets the host tell whether a model honoured
    /// the switch at all.</summary>
    public static long BlocksRun => Interlocked.Read(ref blocksRun);

    /// <summary>Turns checkpointing on (or off) until the returned object is disposed.</summary>
    public static IDisposable Use(bool on)
    {
        bool previous = enabled.Value;
        enabled.Value = on;
        return new Restore(previous);
    }

    /// <summary>Runs <paramref name="block"/> on <paramref name="input"/>, checkpointed when <see cref="Enabled"/>
    /// and gradients are on, else directly. The block must be a function of its input and of tensors that stay
    /// alive until the backward pass (tables, masks, parameters), and must not write state outside the graph.</summary>
    public static Tensor Run(Tensor input, Func<Tensor, Tensor> block)
    {
        if (!Enabled || !is_grad_enabled()) return block(input);
        Interlocked.Increment(ref blocksRun);
        // An autograd function is recorded only when an input needs a gradient: the first layer's input may not (frozen
        // embeddings, no trainable features in the batch) while the block's own parameters (LoRA) do. A copy that asks
        // for one keeps the block in the graph; its gradient goes nowhere.
        if (!input.requires_grad) input = input.detach().requires_grad_(true);
        return CheckpointFunction.apply(input, new Block(block, Abstractions.Components.ComputePrecision.Current, get_rng_state()));
    }

    /// <summary>What the recomputation needs besides the input (kept as one object: the autograd context warns about
    /// tensors saved as data).</summary>
    private sealed record Block(Func<Tensor, Tensor> Function, ScalarType? Precision, Tensor RngState);

    private sealed class Restore(bool previous) : IDisposable
    {
        public void Dispose() => enabled.Value = previous;
    }

    private sealed class CheckpointFunction : autograd.SingleTensorFunction<CheckpointFunction>
    {
        public override string Name => "CoinRecompute";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var input = (Tensor)vars[0];
            var block = (Block)vars[1];
            ctx.save_for_backward([input]);
            ctx.save_data("block", block);
            forwardDepth++;
            try
            {
                using var scope = NewDisposeScope();
                return block.Function(input).MoveToOuterDisposeScope();
            }
            finally
            {
                forwardDepth--;
            }
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            BackwardHandles.ReleaseReturned();
            // The saved input's handle in this scope too: in the step's scope it would hold every layer's input until the step ends.
            using var scope = NewDisposeScope();
            var input = ctx.get_saved_variables()[0];
            var block = (Block)ctx.get_data("block");
            var currentRng = get_rng_state();
            set_rng_state(block.RngState);
            Tensor inputGradient;
            try
            {
                using var grad = enable_grad();
                var detached = input.detach().requires_grad_(input.requires_grad);
                Tensor output;
                using (Abstractions.Components.ComputePrecision.Use(block.Precision)) output = block.Function(detached);
                output.backward([gradOutput]);
                inputGradient = detached.grad is { } g ? g.clone() : zeros_like(input);
            }
            finally
            {
                set_rng_state(currentRng);
            }
            BackwardHandles.Consumed(gradOutput);
            // One gradient per argument of apply: the input's, and none for the block.
            return [BackwardHandles.Returned(inputGradient.MoveToOuterDisposeScope()), null!];
        }
    }
}
