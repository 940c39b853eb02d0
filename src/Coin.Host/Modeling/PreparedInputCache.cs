using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using static TorchSharp.torch;

namespace Coin.Host.Modeling;

/// <summary>Encoder inputs prepared once per file (decoded, resized, normalised) and reused in later epochs, tasks and
/// evaluations, up to a memory budget; past it, inputs are prepared each time. In-memory inputs are not cached: they
/// cost nothing to decode. <see cref="IEncoder.Prepare"/> is a function of the input, as its contract says.</summary>
public sealed class PreparedInputCache(long budgetBytes) : IDisposable
{
    private readonly Dictionary<(string Modality, string Path), Tensor> prepared = [];
    private long usedBytes;

    public long UsedBytes => usedBytes;

    /// <summary>[inputs, ...] for <paramref name="inputs"/>, from the cache where possible.</summary>
    public Tensor Prepare(IEncoder encoder, IReadOnlyList<ModalityInput> inputs)
    {
        if (budgetBytes <= 0 || inputs.Any(i => i.Path is null)) return encoder.Prepare(inputs);
        var parts = new Tensor[inputs.Count];
        var missing = Enumerable.Range(0, inputs.Count).Where(i => !prepared.ContainsKey(Key(inputs[i]))).ToList();
        if (missing.Count > 0)
        {
            var fresh = encoder.Prepare(missing.Select(i => inputs[i]).ToList());
            for (int j = 0; j < missing.Count; j++)
            {
                var one = fresh[j];
                long bytes = one.numel() * one.element_size();
                if (usedBytes + bytes <= budgetBytes && !prepared.ContainsKey(Key(inputs[missing[j]])))
                {
                    var kept = one.clone();
                    kept.DetachFromDisposeScope();
                    prepared[Key(inputs[missing[j]])] = kept;
                    usedBytes += bytes;
                }
                parts[missing[j]] = one;
            }
        }
        for (int i = 0; i < inputs.Count; i++) parts[i] ??= prepared[Key(inputs[i])];
        return stack(parts);
    }

    private static (string, string) Key(ModalityInput input) => (input.Modality, input.Path!);

    public void Dispose()
    {
        foreach (var t in prepared.Values) t.Dispose();
        prepared.Clear();
        usedBytes = 0;
    }
}
