using Coin.Nn.Layers;
using static TorchSharp.torch;

namespace Coin.Plugins.Backbones.Llama;

/// <summary>Gated feed-forward: down(act(gate(x)) * up(x)), SwiGLU with LLaMA's silu; biases with <c>mlp_bias</c>.</summary>
internal sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
    private readonly AutocastLinear gate_proj, up_proj, down_proj;
    private readonly string activation;

    public LlamaMlp(LlamaConfig config) : base(nameof(LlamaMlp))
    {
        activation = config.HiddenAct;
        gate_proj = new AutocastLinear(config.HiddenSize, config.IntermediateSize, hasBias: config.MlpBias);
        up_proj = new AutocastLinear(config.HiddenSize, config.IntermediateSize, hasBias: config.MlpBias);
        down_proj = new AutocastLinear(config.IntermediateSize, config.HiddenSize, hasBias: config.MlpBias);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var gateUp = AutocastLinear.Fused(x, gate_proj, up_proj);
        // The product's handle is dropped once down_proj has it: a frozen down_proj saves no input (its adapter's
        // dropout keeps its own copy), so an intermediate-size tensor a layer is freed now, not at the step's end.
        using var product = Activations.Apply(activation, gateUp[0]) * gateUp[1];
        return down_proj.call(product);
    }
}
