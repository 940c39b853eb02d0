using Coin.Nn.Layers;
using TorchSharp.Modules;

namespace Coin.Plugins.Backbones.Llama;

/// <summary>The activation memory of this implementation's forward pass, counted tensor by tensor from its code
/// (float32 compute; every intermediate a step creates is held until the step ends, as its dispose scope holds it).</summary>
/// <remarks>Per token and decoder layer: the two norms (output and normalised input, 2H each), q/k/v, the rotary
/// rotation of q and k (≈4.5 of their width: the halves, their negation, two products and the sum), the attention
/// output and its transposed copy (plus the log-sum-exp per head when causality alone masks, else three
/// [heads × tokens] score rows), o_proj and the residual, gate and up, the activation and the product, down_proj
/// and the residual. Each adapter update attached to a linear layer adds its dropout's copy and mask of the input
/// (1.25 × in), its own layers' outputs and three of the layer's width (update, scaled update, sum). Above the
/// layers: the logits with their log-softmax and its gradient (3 × vocabulary per token).</remarks>
internal static class LlamaActivations
{
    public static long TrainingBytes(LlamaForCausalLM model, int batch, int tokens, bool checkpointing)
    {
        var c = model.Config;
        long positions = (long)batch * tokens;
        double perLayer = LayerElements(model, tokens) * positions;
        double layers = checkpointing
            // The layer inputs kept, one layer recomputed with its activations, and its gradients flowing through it.
            ? c.NumHiddenLayers * (double)c.HiddenSize * positions + 2 * perLayer
            : c.NumHiddenLayers * perLayer;
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

    /// <summary>Float32 elements per token one decoder layer creates in a forward pass.</summary>
    private static double LayerElements(LlamaForCausalLM model, int tokens, bool withUpdates = true)
    {
        var c = model.Config;
        double h = c.HiddenSize, i = c.IntermediateSize, q = c.NumAttentionHeads * c.HeadDim, kv = c.NumKeyValueHeads * c.HeadDim;
        bool flash = c.NumAttentionHeads == c.NumKeyValueHeads && c.SlidingWindow is null;
        double attention = flash ? q + c.NumAttentionHeads : q + 3.0 * c.NumAttentionHeads * tokens;
        double elements = 2 * h + (q + 2 * kv) + 4.5 * (q + kv) + attention + q + 2 * h + 2 * h + 4 * i + 2 * h;
        if (withUpdates) elements += UpdateElements(model);
        return elements;
    }

    /// <summary>Per token, what adapters attached to the first decoder layer's linears add (LoRA and its kin
    /// register their factors and dropout as children of the layer they update).</summary>
    private static double UpdateElements(LlamaForCausalLM model)
    {
        double total = 0;
        foreach (var (name, module) in model.named_modules())
        {
            if (!name.StartsWith("model.layers.0.", StringComparison.Ordinal) || module is not AutocastLinear { HasDeltas: true } linear) continue;
            var children = linear.named_children().Select(c => c.module).ToList();
            if (children.Any(m => m is Dropout)) total += 1.25 * linear.in_features;
            total += children.OfType<AutocastLinear>().Sum(l => (double)l.out_features) + 3.0 * linear.out_features;
        }
        return total;
    }
}
