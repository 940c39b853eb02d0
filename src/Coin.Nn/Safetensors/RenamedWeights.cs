using static TorchSharp.torch;

namespace Coin.Nn.Safetensors;

/// <summary>The tensors of another source under other names: the rename function gives a tensor's name in the
/// module for its name in the file, or null to leave it out. A component's weights inside a whole model's checkpoint
/// (LLaVA's <c>model.mm_projector.*</c>, llava-hf's <c>language_model.*</c> / <c>vision_tower.*</c>).</summary>
public sealed class RenamedWeights : IWeightSource
{
    private readonly IWeightSource inner;
    private readonly bool ownsInner;
    private readonly Dictionary<string, string> fileNameOf = new(StringComparer.Ordinal);

    public RenamedWeights(IWeightSource inner, Func<string, string?> rename, string description, bool ownsInner = true)
    {
        this.inner = inner;
        this.ownsInner = ownsInner;
        Source = $"{inner.Source} ({description})";
        foreach (string name in inner.Names)
            if (rename(name) is { } renamed && !fileNameOf.TryAdd(renamed, name))
                throw new Abstractions.Plugins.CoinUserException($"{inner.Source}: both '{fileNameOf[renamed]}' and '{name}' would load into '{renamed}'");
    }

    /// <summary>The tensors whose names start with <paramref name="prefix"/>, named without it.</summary>
    public static RenamedWeights WithoutPrefix(IWeightSource inner, string prefix)
        => new(inner, name => name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : null, prefix + "*");

    public string Source { get; }
    public IEnumerable<string> Names => fileNameOf.Keys;
    public bool Contains(string name) => fileNameOf.ContainsKey(name);
    public long[] ShapeOf(string name) => inner.ShapeOf(fileNameOf[name]);
    public Tensor Load(string name, ScalarType? dtype = null) => inner.Load(fileNameOf[name], dtype);

    public void Dispose()
    {
        if (ownsInner) inner.Dispose();
    }
}
