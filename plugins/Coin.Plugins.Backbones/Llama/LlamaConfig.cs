namespace Coin.Plugins.Backbones.Llama;

/// <summary>Architecture of a LLaMA-style decoder; the field names mirror Hugging Face's config.json.</summary>
public sealed record LlamaConfig(
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
    double InitializerRange = 0.02)
{
    public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>Weights of the model: embeddings, per layer attention (q, k, v, o with GQA), SwiGLU and two norms, the
    /// final norm and the LM head unless tied.</summary>
    public long ParameterCount
    {
        get
        {
            long d = HiddenSize, kv = (long)NumKeyValueHeads * HeadDim;
            long attention = d * d * 2 + d * kv * 2 + (AttentionBias ? d + 2 * kv : 0);
            long layer = attention + 3 * d * IntermediateSize + 2 * d;
            return VocabSize * d * (TieWordEmbeddings ? 1 : 2) + NumHiddenLayers * layer + d;
        }
    }

    /// <summary>Throws with a message naming the inconsistent fields.</summary>
    public void Validate()
    {
        foreach (var (name, value) in new[] { ("vocabSize", VocabSize), ("hiddenSize", HiddenSize), ("intermediateSize", IntermediateSize),
                     ("numHiddenLayers", NumHiddenLayers), ("numAttentionHeads", NumAttentionHeads), ("numKeyValueHeads", NumKeyValueHeads) })
            if (value <= 0) throw new ArgumentException($"{name} is {value}; it must be a positive integer");
        if (HiddenSize % NumAttentionHeads != 0)
            throw new ArgumentException($"hiddenSize ({HiddenSize}) must be divisible by numAttentionHeads ({NumAttentionHeads})");
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw new ArgumentException($"numAttentionHeads ({NumAttentionHeads}) must be divisible by numKeyValueHeads ({NumKeyValueHeads})");
        if (HeadDim % 2 != 0)
            throw new ArgumentException($"head dimension ({HeadDim}) must be even for rotary embeddings");
    }
}
