using Coin.Nn.Layers;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Coin.Plugins.Backbones.Llama;

/// <summary>SwiGLU feed-forward: down(silu(gate(x)) * up(x)).</summary>
public sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
    private readonly AutocastLinear gate_proj, up_proj, down_proj;

    public LlamaMlp(LlamaConfig config) : base(nameof(LlamaMlp))
    {
        gate_proj = new AutocastLinear(config.HiddenSize, config.IntermediateSize, hasBias: false);
        up_proj = new AutocastLinear(config.HiddenSize, config.IntermediateSize, hasBias: false);
        down_proj = new AutocastLinear(config.IntermediateSize, config.HiddenSize, hasBias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var gateUp = AutocastLinear.Fused(x, gate_proj, up_proj);
        return down_proj.call(F.silu(gateUp[0]) * gateUp[1]);
    }
}
