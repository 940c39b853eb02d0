using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Coin.Nn.Layers;

/// <summary>The activation functions of Hugging Face's <c>hidden_act</c> (transformers' ACT2FN) that our models run,
/// by the names config.json uses. A name not listed is refused by the loader, never replaced by another function.</summary>
public static class Activations
{
    /// <summary>Names accepted, each with what it computes.</summary>
    public static readonly IReadOnlyDictionary<string, string> Supported = new Dictionary<string, string>
    {
        ["silu"] = "x·sigmoid(x) (LLaMA, Qwen2, Mistral)",
        ["swish"] = "x·sigmoid(x), silu's other name",
        ["gelu"] = "exact GELU, x·Φ(x) with the error function",
        ["gelu_pytorch_tanh"] = "GELU's tanh approximation (SigLIP, Gemma)",
        ["gelu_new"] = "GELU's tanh approximation written out (GPT-2)",
        ["quick_gelu"] = "x·sigmoid(1.702·x) (OpenAI CLIP)",
        ["relu"] = "max(x, 0)",
    };

    public static bool IsSupported(string name) => Supported.ContainsKey(name);

    /// <summary>Applies the named activation; the tanh forms run the same operations as transformers' own.</summary>
    public static Tensor Apply(string name, Tensor x) => name switch
    {
        "silu" or "swish" => F.silu(x),
        "gelu" => F.gelu(x),
        "gelu_pytorch_tanh" => F.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh),
        // NewGELUActivation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
        "gelu_new" => 0.5 * x * (1.0 + tanh(Math.Sqrt(2.0 / Math.PI) * (x + 0.044715 * pow(x, 3.0)))),
        "quick_gelu" => x * F.sigmoid(1.702 * x),
        "relu" => F.relu(x),
        _ => throw new ArgumentException($"activation '{name}' is not supported; supported: {string.Join(", ", Supported.Keys)}"),
    };
}
