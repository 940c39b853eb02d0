using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;
using Coin.Nn.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Coin.Plugins.Connectors;

/// <summary>One linear projection from encoder width to backbone width (LLaVA-1.0).</summary>
[CoinPlugin(PluginKind.Connector, "linear", "0.1.0", "Linear projection from encoder features to token embeddings")]
internal sealed class LinearConnector : nn.Module, IConnector
{
    private readonly AutocastLinear proj;

    public LinearConnector(ComponentContext context) : base(nameof(LinearConnector))
    {
        proj = new AutocastLinear(ConnectorWidths.Input(context), ConnectorWidths.Output(context));
        RegisterComponents();
    }

    public nn.Module Module => this;
    public Tensor Project(Tensor features) => proj.call(features);
}

/// <summary>LLaVA-1.5's <c>mlp2x_gelu</c>: Linear, GELU, Linear. Parameter names follow LLaVA's
/// <c>mm_projector.0</c> / <c>mm_projector.2</c>.</summary>
internal sealed class Mlp2xGeluConnector : nn.Module, IConnector, IActivationMemory
{
    private readonly Sequential mm_projector;
    private readonly int inputDim, outputDim, tokensPerInput;

    /// <param name="tokensPerInput">Feature positions the encoder gives per input (576 for CLIP ViT-L/14 at 336 px):
    /// what the activation estimate multiplies; 0 when unknown.</param>
    public Mlp2xGeluConnector(int inputDim, int outputDim, int tokensPerInput = 0) : base(nameof(Mlp2xGeluConnector))
    {
        mm_projector = nn.Sequential(new AutocastLinear(inputDim, outputDim), nn.GELU(), new AutocastLinear(outputDim, outputDim));
        (this.inputDim, this.outputDim, this.tokensPerInput) = (inputDim, outputDim, tokensPerInput);
        RegisterComponents();
    }

    public nn.Module Module => this;
    public Tensor Project(Tensor features) => mm_projector.call(features);

    /// <summary>Per feature position, what backward needs: the input (the first product's weight gradient), the first
    /// product (GELU's backward), GELU's output (the second product's weight gradient), and the output, until it is
    /// spliced into the sequence; float32. Checkpointing does not cover the projector.</summary>
    public long TrainingActivationBytes(int batch, int tokens, bool checkpointing)
        => parameters().Any(p => p.requires_grad) ? (long)batch * tokensPerInput * (inputDim + 3L * outputDim) * sizeof(float) : 0;

    /// <summary>The projection of one batch's features during the prefill: input, first product, GELU and output.</summary>
    public long GenerationBytes(int batch, int tokens) => (long)batch * tokensPerInput * (inputDim + 3L * outputDim) * sizeof(float);
}
