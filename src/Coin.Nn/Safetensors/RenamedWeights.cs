using static TorchSharp.torch;

namespace Coin.Nn.Safetensors;

/// <summary>The tensors of another source whose names start with <paramref name="prefix"/>, named without it: a
/// component's weights inside a whole model's checkpoint (LLaVA's <c>model.mm_projector.*</c>).</summary>
public sealed class RenamedWeights(IWeightSource inner, string prefix, bool ownsInner = true) : IWeightSource
{
    public string Source => $"{inner.Source} ({prefix}*)";
    public IEnumerable<string> Names => inner.Names.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Select(n => n[prefix.Length..]);
    public bool Contains(string name) => inner.Contains(prefix + name);
    public long[] ShapeOf(string name) => inner.ShapeOf(prefix + name);
    public Tensor Load(string name, ScalarType? dtype = null) => inner.Load(prefix + name, dtype);

    public void Dispose()
    {
        if (ownsInner) inner.Dispose();
    }
}
