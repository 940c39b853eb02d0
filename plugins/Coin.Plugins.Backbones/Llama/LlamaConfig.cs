using Coin.Nn.Layers;
namespace Coin.Plugins.Backbones.Llama;

/// <summary>Architecture of a LLaMA-style decoder (LLaMA, Qwen2, Mistral); the field names mirror Hugging Face's
/// config.json.</summary>
/// <param name="AttentionBias">Biases on q, k and v (Qwen2 always; LLaMA with <c>attention_bias</c>).</param>
/// <param name="OutputProjectionBias">A bias on o_proj too (LLaMA's <c>attention_bias</c>; Qwen2 has none).</param>
/// <param name="HeadDimension">An explicit <c>head_dim</c>; null: hidden / heads.</param>
/// <param name="Rope">Frequency scaling (<c>rope_scaling</c> / <c>rope_parameters</c>); null: none.</param>
/// <param name="SlidingWindow">Sliding-window attention's window, for the layers <see cref="SlidingLayers"/> marks
/// (all of them when that is null); null: none.</param>
internal sealed record LlamaConfig(
    int VocabSize,
    int HiddenSize,
    int IntermediateSize,
    int NumHiddenLayers,
    int NumAttentionHeads,
    int NumKeyValueHeads,
    double RopeTheta = 10000.0,
    double RmsNormEps = 1e-6,
    bool TieWordEmbeddings = false,
    bool AttentionBias = false,
    double InitializerRange = 0.02,
    bool OutputProjectionBias = false,
    bool MlpBias = false,
    string HiddenAct = "silu",
    int? HeadDimension = null,
    RopeScaling? Rope = null,
    int MaxPositionEmbeddings = 2048,
    int? SlidingWindow = null,
    IReadOnlyList<bool>? SlidingLayers = null)
{
    public int HeadDim => HeadDimension ?? HiddenSize / NumAttentionHeads;

    /// <summary>Whether layer <paramref name="index"/> attends through the sliding window.</summary>
    public bool IsSlidingLayer(int index) => SlidingWindow is not null && (SlidingLayers is null || SlidingLayers[index]);

    /// <summary>Weights of the model: embeddings, per layer attention (q, k, v, o with GQA), SwiGLU and two norms, the
    /// final norm and the LM head unless tied.</summary>
    public long ParameterCount
    {
        get
        {
            long d = HiddenSize, q = (long)NumAttentionHeads * HeadDim, kv = (long)NumKeyValueHeads * HeadDim;
            long attention = d * q * 2 + d * kv * 2 + (AttentionBias ? q + 2 * kv : 0) + (OutputProjectionBias ? d : 0);
            long layer = attention + 3 * d * IntermediateSize + (MlpBias ? 2 * IntermediateSize + d : 0) + 2 * d;
            return VocabSize * d * (TieWordEmbeddings ? 1 : 2) + NumHiddenLayers * layer + d;
        }
    }

    /// <summary>Throws with a message naming the inconsistent fields.</summary>
    public void Validate()
    {
        foreach (var (name, value) in new[] { ("vocabSize", VocabSize), ("hiddenSize", HiddenSize), ("intermediateSize", IntermediateSize),
                     ("numHiddenLayers", NumHiddenLayers), ("numAttentionHeads", NumAttentionHeads), ("numKeyValueHeads", NumKeyValueHeads) })
            if (value <= 0) throw new ArgumentException($"{name} is {value}; it must be a positive integer");
        if (HeadDimension is null && HiddenSize % NumAttentionHeads != 0)
            throw new ArgumentException($"hiddenSize ({HiddenSize}) must be divisible by numAttentionHeads ({NumAttentionHeads})");
        if (HeadDimension is <= 0) throw new ArgumentException($"head_dim is {HeadDimension}; it must be a positive integer");
        if (!Coin.Nn.Layers.Activations.IsSupported(HiddenAct))
            throw new ArgumentException($"hidden_act '{HiddenAct}' is not supported; supported: {string.Join(", ", Coin.Nn.Layers.Activations.Supported.Keys)}");
        if (MaxPositionEmbeddings <= 0) throw new ArgumentException($"max_position_embeddings is {MaxPositionEmbeddings}; it must be a positive integer");
        if (SlidingWindow is <= 0) throw new ArgumentException($"sliding_window is {SlidingWindow}; it must be a positive integer");
        if (SlidingLayers is not null && SlidingLayers.Count != NumHiddenLayers)
            throw new ArgumentException($"layer_types has {SlidingLayers.Count} entries for {NumHiddenLayers} layers");
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw new ArgumentException($"numAttentionHeads ({NumAttentionHeads}) must be divisible by numKeyValueHeads ({NumKeyValueHeads})");
        if (HeadDim % 2 != 0)
            throw new ArgumentException($"head dimension ({HeadDim}) must be even for rotary embeddings");
    }
}
