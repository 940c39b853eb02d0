using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using static TorchSharp.torch;

namespace Coin.Engine.Modeling;

/// <summary>Encoder inputs prepared once per file (decoded, resized, normalised) and reused in later epochs, tasks and
/// evaluations, up to a memory budget; past it, inputs are prepared each time. In-memory inputs are not cached: they
/// cost nothing to decode. <see cref="IEncoder.Prepare"/> is a function of the input, as its contract says, so an
/// input prepared alone, by a background worker (<see cref="Prefetcher"/>) or from the cache is the one a batch
/// would have prepared.</summary>
public sealed class PreparedInputCache(long budgetBytes) : IDisposable
{
    private readonly Dictionary<(string Modality, string Path), Tensor> prepared = [];
    private long usedBytes;

    public long UsedBytes => usedBytes;

    /// <summary>Inputs prepared ahead by background workers, while a task trains; null otherwise.</summary>
    public InputPrefetcher? Prefetcher { get; set; }

    /// <summary>True when this file's prepared input is kept here.</summary>
    public bool Contains(ModalityInput input) => input.Path is not null && prepared.ContainsKey(Key(input));

    /// <summary>[inputs, ...] for <paramref name="inputs"/>, from the cache or the prefetcher where possible.</summary>
    public Tensor Prepare(IEncoder encoder, IReadOnlyList<ModalityInput> inputs)
    {
        using var scope = NewDisposeScope();
        var parts = new Tensor?[inputs.Count];
        var fresh = new List<int>();
        // A worker's tensor belongs to no scope (scopes are per thread): this call owns it and disposes it.
        var fromWorkers = new List<Tensor>();
        try
        {
            for (int i = 0; i < inputs.Count; i++)
            {
                if (Contains(inputs[i])) parts[i] = prepared[Key(inputs[i])];
                else if (Prefetcher?.TryTake(inputs[i]) is { } ahead)
                {
                    fromWorkers.Add(ahead);
                    parts[i] = ahead;
                    fresh.Add(i);
                }
            }
            return Combine(encoder, inputs, parts, fresh);
        }
        finally
        {
            foreach (var tensor in fromWorkers) tensor.Dispose();
        }
    }

    private Tensor Combine(IEncoder encoder, IReadOnlyList<ModalityInput> inputs, Tensor?[] parts, List<int> fresh)
    {
        var missing = Enumerable.Range(0, inputs.Count).Where(i => parts[i] is null).ToList();
        if (missing.Count == inputs.Count && (budgetBytes <= 0 || inputs.Any(i => i.Path is null)))
            return encoder.Prepare(inputs).MoveToOuterDisposeScope();
        if (missing.Count > 0)
        {
            var batch = encoder.Prepare(missing.Select(i => inputs[i]).ToList());
            for (int j = 0; j < missing.Count; j++) parts[missing[j]] = batch[j];
            fresh.AddRange(missing);
        }
        foreach (int i in fresh) Keep(inputs[i], parts[i]!);
        return stack(parts!).MoveToOuterDisposeScope();
    }

    private void Keep(ModalityInput input, Tensor one)
    {
        if (input.Path is null || Contains(input)) return;
        long bytes = one.numel() * one.element_size();
        if (usedBytes + bytes > budgetBytes) return;
        var kept = one.clone();
        kept.DetachFromDisposeScope();
        prepared[Key(input)] = kept;
        usedBytes += bytes;
    }

    private static (string, string) Key(ModalityInput input) => (input.Modality, input.Path!);

    public void Dispose()
    {
        foreach (var t in prepared.Values) t.Dispose();
        prepared.Clear();
        usedBytes = 0;
    }
}
