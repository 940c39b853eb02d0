using Coin.Abstractions.Components;
using Coin.Nn.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Coin.Plugins.Connectors;

/// <summary>One linear projection from encoder width to backbone width (LLaVA-1.0).</summary>
public sealed class LinearConnector : nn.Module, IConnector
{
    private readonly AutocastLinear proj;

    public LinearConnector(int inputDim, int outputDim) : base(nameof(LinearConnector))
    {
        proj = new AutocastLinear(inputDim, outputDim);
        RegisterComponents();
    }

    public nn.Module Module => this;
    public Tensor Project(Tensor features) => proj.call(features);
}

/// <summary>LLaVA-1.5's <c>mlp2x_gelu</c>: Linear, GELU, Linear. Parameter names follow LLaVA's
/// <c>mm_projector.0</c> / <c>mm_projector.2</c>.</summary>
public sealed class Mlp2xGeluConnector : nn.Module, IConnector
{
    private readonly Sequential mm_projector;

    public Mlp2xGeluConnector(int inputDim, int outputDim) : base(nameof(Mlp2xGeluConnector))
    {
        mm_projector = nn.Sequential(new AutocastLinear(inputDim, outputDim), nn.GELU(), new AutocastLinear(outputDim, outputDim));
        RegisterComponents();
    }

    public nn.Module Module => this;
    public Tensor Project(Tensor features) => mm_projector.call(features);
}
