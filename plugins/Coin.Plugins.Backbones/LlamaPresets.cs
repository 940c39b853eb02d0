using Coin.Plugins.Backbones.Llama;

namespace Coin.Plugins.Backbones;

/// <summary>Named sizes of the same architecture. Every size is only configuration.</summary>
internal static class LlamaPresets
{
    /// <summary>The CPU sizes, and the shapes of two real models (for memory and speed planning; real weights and
    /// tokenizers come from a Hugging Face folder through the <c>path</c> option).</summary>
    public static readonly IReadOnlyList<string> Names = ["tiny", "mini", "small", "d512", "qwen2-0.5b", "llama-7b"];

    public static LlamaConfig Resolve(LlamaBackboneOptions options, int vocabSize)
    {
        var (hidden, intermediate, layers, heads, kvHeads) = options.Preset switch
        {
            "tiny" => (64, 172, 2, 4, 2),
            "mini" => (128, 344, 4, 4, 2),
            "small" => (256, 688, 4, 8, 4),
            "d512" => (512, 1376, 8, 8, 4),
            "qwen2-0.5b" => (896, 4864, 24, 14, 2),
            "llama-7b" => (4096, 11008, 32, 32, 32),
            _ => throw new ArgumentException($"unknown preset '{options.Preset}'"),
        };
        int hiddenSize = options.HiddenSize ?? hidden;
        return new LlamaConfig(
            VocabSize: vocabSize,
            HiddenSize: hiddenSize,
            IntermediateSize: options.IntermediateSize ?? intermediate,
            NumHiddenLayers: options.Layers ?? layers,
            NumAttentionHeads: options.Heads ?? heads,
            NumKeyValueHeads: options.KeyValueHeads ?? kvHeads,
            RopeTheta: options.RopeTheta,
            TieWordEmbeddings: options.TieWordEmbeddings,
            InitializerRange: options.InitializerRange ?? (hiddenSize >= 512 ? 0.02 : 1 / Math.Sqrt(hiddenSize)));
    }
}
