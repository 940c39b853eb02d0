using Coin.Nn.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Plugins.Encoders.Vision;

/// <summary>CLIP's vision transformer with Hugging Face's parameter names under <c>vision_model.</c>
/// (embeddings.patch_embedding, class_embedding, position_embedding, pre_layrnorm [sic], encoder.layers.N, post_layernorm).</summary>
internal sealed class ClipVisionModel : nn.Module
{
    private readonly ClipVisionTransformer vision_model;

    public ClipVisionModel(ClipVisionConfig config) : base(nameof(ClipVisionModel))
    {
        Config = config;
        vision_model = new ClipVisionTransformer(config);
        RegisterComponents();
    }

    public ClipVisionConfig Config { get; }

    /// <summary>Hidden states after the embeddings (index 0) and after each layer: [layers + 1] of [n, 1 + patches, d].</summary>
    public IReadOnlyList<Tensor> HiddenStates(Tensor pixels, int upToLayer) => vision_model.HiddenStates(pixels, upToLayer);
}

internal sealed class ClipVisionTransformer : nn.Module
{
    private readonly ClipVisionEmbeddings embeddings;
    private readonly LayerNorm? pre_layrnorm;
    private readonly LayerNorm post_layernorm;
    private readonly ClipEncoder encoder;

    public ClipVisionTransformer(ClipVisionConfig config) : base(nameof(ClipVisionTransformer))
    {
        embeddings = new ClipVisionEmbeddings(config);
        if (!config.Siglip) pre_layrnorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        encoder = new ClipEncoder(config);
        // Unused by LLaVA-style feature selection but part of the checkpoint, so kept for exact loading.
        post_layernorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        RegisterComponents();
    }

    public IReadOnlyList<Tensor> HiddenStates(Tensor pixels, int upToLayer)
    {
        var embedded = embeddings.call(pixels);
        var states = new List<Tensor> { pre_layrnorm is null ? embedded : pre_layrnorm.call(embedded) };
        for (int i = 0; i < upToLayer; i++)
        {
            var layer = encoder.Layer(i);
            if (is_grad_enabled()) states.Add(Recompute.Run(states[^1], x => layer.call(x)));
            else
            {
                // A frozen tower's intermediate tensors are freed layer by layer instead of at the end of the batch.
                using var scope = NewDisposeScope();
                states.Add(layer.call(states[^1]).MoveToOuterDisposeScope());
            }
        }
        return states;
    }
}

internal sealed class ClipVisionEmbeddings : nn.Module<Tensor, Tensor>
{
    private readonly Parameter? class_embedding;
    private readonly Conv2d patch_embedding;
    private readonly Embedding position_embedding;

    public ClipVisionEmbeddings(ClipVisionConfig config) : base(nameof(ClipVisionEmbeddings))
    {
        if (!config.Siglip) class_embedding = new Parameter(randn(config.HiddenSize) * 0.02);
        patch_embedding = nn.Conv2d(3, config.HiddenSize, config.PatchSize, stride: config.PatchSize, bias: config.Siglip);
        position_embedding = nn.Embedding(config.Patches + (config.Siglip ? 0 : 1), config.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor pixels)
    {
        var patches = patch_embedding.call(pixels).flatten(2).transpose(1, 2);
        if (class_embedding is null) return patches + position_embedding.weight!.unsqueeze(0);
        var cls = class_embedding.expand(patches.shape[0], 1, -1);
        return cat([cls, patches], 1) + position_embedding.weight!.unsqueeze(0);
    }
}

internal sealed class ClipEncoder : nn.Module
{
    private readonly ModuleList<ClipEncoderLayer> layers = new();

    public ClipEncoder(ClipVisionConfig config) : base(nameof(ClipEncoder))
    {
        for (int i = 0; i < config.NumHiddenLayers; i++) layers.Add(new ClipEncoderLayer(config));
        RegisterComponents();
    }

    public ClipEncoderLayer Layer(int index) => layers[index];
}

internal sealed class ClipEncoderLayer : nn.Module<Tensor, Tensor>
{
    private readonly BidirectionalAttention self_attn;
    private readonly LayerNorm layer_norm1, layer_norm2;
    private readonly ClipMlp mlp;

    public ClipEncoderLayer(ClipVisionConfig config) : base(nameof(ClipEncoderLayer))
    {
        self_attn = new BidirectionalAttention(config.HiddenSize, config.NumAttentionHeads);
        layer_norm1 = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        mlp = new ClipMlp(config);
        layer_norm2 = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var h = x + self_attn.call(layer_norm1.call(x));
        return h + mlp.call(layer_norm2.call(h));
    }
}

internal sealed class ClipMlp : nn.Module<Tensor, Tensor>
{
    private readonly AutocastLinear fc1, fc2;
    private readonly string activation;

    public ClipMlp(ClipVisionConfig config) : base(nameof(ClipMlp))
    {
        activation = config.HiddenAct;
        fc1 = new AutocastLinear(config.HiddenSize, config.IntermediateSize);
        fc2 = new AutocastLinear(config.IntermediateSize, config.HiddenSize);
        RegisterComponents();
    }

    // OpenAI CLIP's quick_gelu (x · sigmoid(1.702 x)) unless the config names another.
    public override Tensor forward(Tensor x) => fc2.call(Activations.Apply(activation, fc1.call(x)));
}
