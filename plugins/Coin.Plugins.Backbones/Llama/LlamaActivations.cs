using Coin.Abstractions.Components;
using Coin.Nn.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Plugins.Backbones.Llama;

/// <summary>The activation memory of this implementation's forward pass, counted tensor by tensor from its code
/// (float32 compute): what a decoder layer still holds when its forward pass ends (what the backward pass saved, and
/// the layer's output), plus the largest moment inside it; the intermediates nothing saves are freed as they are
/// used (the decoder layer, attention, rotary embedding, MLP and <see cref="AutocastLinear.WithDeltas"/> drop them).</summary>
/// <remarks>Per token and decoder layer, with a frozen base: v (attention saves it), the rotated q and k, attention's
/// output and its log-sum-exp per head (or three [heads × tokens] score rows when a mask other than causality applies,
/// or with grouped-query heads), the residual after attention, gate, up and the activation (the MLP's product saves
/// them), and the layer's output. Each adapter update attached to a linear layer adds its dropout's copy and mask of
/// the input (2 × in on a CPU), or without dropout the input once per tensor read, and the outputs of its layers that
/// read the input (LoRA's A, MoELoRA's router). The largest
/// moment adds the MLP's product and down_proj's output, update and sum (intermediate + 3 × hidden), or, in the
/// backward pass, gradients of that size. Above the layers: the logits with their log-softmax and its gradient
/// (3 × vocabulary per token).</remarks>
internal static class LlamaActivations
{
    public static long TrainingBytes(LlamaForCausalLM model, int batch, int tokens, bool checkpointing)
    {
        var c = model.Config;
        long positions = (long)batch * tokens;
        double perLayer = LayerElements(model, tokens) * positions, moment = PeakMomentElements(c) * positions;
        double layers = checkpointing
            // The layer inputs kept, and one layer recomputed with its activations while its backward pass runs.
            ? c.NumHiddenLayers * (double)c.HiddenSize * positions + perLayer + moment
            : c.NumHiddenLayers * perLayer + moment;
        double head = 3.0 * c.VocabSize * positions + 2.0 * c.HiddenSize * positions;
        return (long)((layers + head) * sizeof(float));
    }

    public static long GenerationBytes(LlamaForCausalLM model, int batch, int tokens)
    {
        var c = model.Config;
        long positions = (long)batch * tokens;
        double cache = 2.0 * c.NumHiddenLayers * c.NumKeyValueHeads * c.HeadDim * positions;
        // The prefill frees each layer's tensors as it goes: one layer's at a time, and the logits.
        double prefill = LayerElements(model, tokens, withUpdates: false) * positions + 2.0 * c.VocabSize * positions;
        return (long)((cache + prefill) * sizeof(float));
    }

    /// <summary>Float32 elements per token a decoder layer holds at the end of its forward pass.</summary>
    private static double LayerElements(LlamaForCausalLM model, int tokens, bool withUpdates = true)
    {
        var c = model.Config;
        double h = c.HiddenSize, i = c.IntermediateSize, q = c.NumAttentionHeads * c.HeadDim, kv = c.NumKeyValueHeads * c.HeadDim;
        bool flash = c.NumAttentionHeads == c.NumKeyValueHeads && c.SlidingWindow is null;
        double attention = flash ? q + c.NumAttentionHeads : q + 3.0 * c.NumAttentionHeads * tokens;
        double elements = kv + (q + kv) + attention + h + 3 * i + h;
        if (withUpdates) elements += UpdateElements(model);
        return elements;
    }

    /// <summary>The most a layer adds for a moment beyond what it holds: the MLP's product and down_proj's output,
    /// update and sum.</summary>
    private static double PeakMomentElements(LlamaConfig c) => c.IntermediateSize + 3.0 * c.HiddenSize;

    /// <summary>Per token, what adapters attached to the first decoder layer's linears add (LoRA and its kin
    /// register their factors and dropout as children of the layer they update).</summary>
    /// <remarks>With dropout, each update keeps its own dropped copy of the input and the dropout's mask, which on a
    /// CPU is a float32 tensor of the input's size (libtorch's unfused dropout multiplies by a scaled noise tensor and
    /// saves it; the fused GPU kernel saves a 1-byte mask, so this is an upper bound there): 2 × the input. Without
    /// dropout, the updates' A layers save the input itself, which the layers that read one input share (q, k and v;
    /// gate and up): once per input. Measured at LLaVA-1.5-7B's widths, one decoder layer's forward pass with LoRA
    /// r = 128 on every linear holds 455 MiB at 872 positions with dropout and 283 MiB without, against 432 and 272 by
    /// this count (docs/scale.md). Also counted here: what a linear whose frozen weight is converted per product keeps.</remarks>
    private static double UpdateElements(LlamaForCausalLM model)
    {
        double total = 0;
        var sharedInputs = new HashSet<string>(StringComparer.Ordinal);
        var compute = ComputePrecision.Current ?? ScalarType.Float32;
        foreach (var (name, module) in model.named_modules())
        {
            if (!name.StartsWith("model.layers.0.", StringComparison.Ordinal) || module is not AutocastLinear linear) continue;
            // A weight converted per product runs through a custom autograd function, and TorchSharp keeps an empty
            // tensor of each such function's output size until its backward pass (to give it zero gradients if none
            // arrive): one output per converted linear, resident. Measured: 13.6 MiB a layer of 4096 × 4096 at 872
            // positions, bfloat16 or NF4 stored, against 1.7 MiB for a float32 weight (docs/scale.md).
            if (linear.ConvertsWeightFor(compute)) total += linear.out_features * (compute == ScalarType.Float32 ? 1.0 : 0.5);
            if (!linear.HasDeltas) continue;
            var children = linear.named_children().Select(c => c.module).ToList();
            if (children.Any(m => m is Dropout)) total += 2.0 * linear.in_features;
            else if (sharedInputs.Add(InputOf(name))) total += linear.in_features;
            total += children.OfType<AutocastLinear>().Where(l => l.in_features == linear.in_features).Sum(l => (double)l.out_features);
        }
        return total;
    }

    /// <summary>Which tensor a decoder layer's linear reads: q, k and v read one, gate and up another.</summary>
    private static string InputOf(string linearName)
    {
        string leaf = linearName[(linearName.LastIndexOf('.') + 1)..];
        return leaf switch
        {
            "q_proj" or "k_proj" or "v_proj" => "attention input",
            "gate_proj" or "up_proj" => "mlp input",
            _ => linearName,
        };
    }
}
