using Coin.Nn.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Plugins.Backbones.Llama;

/// <summary>The decoder stack (HF's <c>model.*</c>): embed_tokens, layers.N, norm.</summary>
internal sealed class LlamaModel : nn.Module
{
    private readonly Embedding embed_tokens;
    private readonly ModuleList<LlamaDecoderLayer> layers;
    private readonly RmsNorm norm;
    private readonly LlamaConfig config;

    /// <param name="deferred">Build the embeddings (and, through <see cref="Coin.Nn.Layers.AutocastLinear.BuildDeferred"/>,
    /// the linear layers) without storage, for a loader that fills them in the type they are kept in.</param>
    public LlamaModel(LlamaConfig config, bool deferred = false) : base(nameof(LlamaModel))
    {
        this.config = config;
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize, device: deferred ? new Device(DeviceType.META) : null);
        layers = new ModuleList<LlamaDecoderLayer>();
        for (int i = 0; i < config.NumHiddenLayers; i++) layers.Add(new LlamaDecoderLayer(config));
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        RegisterComponents();
    }

    public Embedding EmbedTokens => embed_tokens;

    /// <param name="embeddings">[batch, tokens, hidden].</param>
    /// <param name="attentionMask">[batch, past + tokens] int64, 1 = real token.</param>
    /// <returns>Final hidden states [batch, tokens, hidden].</returns>
    public Tensor Forward(Tensor embeddings, Tensor attentionMask, KeyValueCache? cache)
    {
        long tokens = embeddings.shape[1];
        long total = attentionMask.shape[1];
        long past = total - tokens;
        if (cache is not null && cache.Length != past)
            throw new ArgumentException($"attention mask covers {total} positions but the cache holds {cache.Length} and {tokens} are new");

        // Positions count real tokens only, so a left-padded prompt starts at position 0 like an unpadded one.
        var positions = (attentionMask.cumsum(-1) - 1).clamp_min(0).narrow(1, past, tokens);
        var (cos, sin) = RotaryEmbedding.Tables(positions, config.Rope, config.HeadDim, config.RopeTheta, config.MaxPositionEmbeddings, ScalarType.Float32);
        int groups = config.NumAttentionHeads / config.NumKeyValueHeads;
        var bias = new AttentionBias(attentionMask, tokens, cached: cache is not null).Prepare(groups);
        // Layers with sliding-window attention (Mistral, Qwen2's upper layers) see only the last window of keys.
        var windowed = config.SlidingWindow is { } window ? new AttentionBias(attentionMask, tokens, cached: cache is not null, window).Prepare(groups) : null;

        // The residual stream is float32 whatever the compute precision: layers add their (possibly bfloat16) outputs
        // to it, and the sum promotes to float32, as under PyTorch's autocast.
        var h = embeddings.to_type(ScalarType.Float32);
        for (int i = 0; i < layers.Count; i++)
        {
            var (layer, layerBias, index) = (layers[i], config.IsSlidingLayer(i) ? windowed! : bias, i);
            if (is_grad_enabled()) h = Recompute.Run(h, x => layer.Forward(x, cos, sin, layerBias, cache, index));
            else
            {
                // Without gradients nothing after the layer needs its intermediate tensors: free them now rather than
                // at the end of the batch (a 7B prefill would otherwise hold every layer's at once).
                using var scope = NewDisposeScope();
                h = layer.Forward(h, cos, sin, layerBias, cache, index).MoveToOuterDisposeScope();
            }
        }
        return norm.call(h);
    }
}
