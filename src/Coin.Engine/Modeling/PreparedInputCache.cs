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
    private readonly Dictionary<(string Modality, string Path, int InputsInSample), PreparedInput> prepared = [];
    private long usedBytes;

    public long UsedBytes => usedBytes;

    /// <summary>Inputs prepared ahead by background workers, while a task trains; null otherwise.</summary>
    public InputPrefetcher? Prefetcher { get; set; }

    /// <summary>True when this file's prepared input is kept here (<paramref name="encoder"/>'s: a tiled encoder's
    /// depends on how many inputs the sample holds).</summary>
    public bool Contains(IEncoder encoder, ModalityInput input, int inputsInSample)
        => input.Path is not null && prepared.ContainsKey(Key(encoder, input, inputsInSample));

    /// <summary>[inputs, ...] for <paramref name="inputs"/>, from the cache or the prefetcher where possible; for a
    /// <see cref="ITiledEncoder"/>, every input's tiles concatenated [tiles, ...] and each input's layout.</summary>
    /// <param name="inputsInSample">For each input, how many inputs of its modality its sample holds (null: one each).</param>
    public PreparedInputs Prepare(IEncoder encoder, IReadOnlyList<ModalityInput> inputs, IReadOnlyList<int>? inputsInSample = null)
    {
        int CountOf(int i) => inputsInSample?[i] ?? 1;
        using var scope = NewDisposeScope();
        var parts = new PreparedInput?[inputs.Count];
        var fresh = new List<int>();
        // A worker's tensor belongs to no scope (scopes are per thread): this call owns it and disposes it.
        var fromWorkers = new List<Tensor>();
        try
        {
            for (int i = 0; i < inputs.Count; i++)
            {
                if (Contains(encoder, inputs[i], CountOf(i))) parts[i] = prepared[Key(encoder, inputs[i], CountOf(i))];
                else if (Prefetcher?.TryTake(inputs[i], CountOf(i)) is { } ahead)
                {
                    fromWorkers.Add(ahead.Values);
                    parts[i] = ahead;
                    fresh.Add(i);
                }
            }
            return Combine(encoder, inputs, Enumerable.Range(0, inputs.Count).Select(CountOf).ToList(), parts, fresh);
        }
        finally
        {
            foreach (var tensor in fromWorkers) tensor.Dispose();
        }
    }

    /// <summary>One input prepared alone: a tiled encoder's tiles and layout, or the other encoders' [...] without the
    /// batch dimension.</summary>
    public static PreparedInput PrepareOne(IEncoder encoder, ModalityInput input, int inputsInSample)
    {
        if (encoder is ITiledEncoder tiled)
        {
            var (tiles, layout) = tiled.PrepareTiles(input, inputsInSample);
            if (tiles.shape.Length == 0 || tiles.shape[0] != layout.Tiles)
                throw new InvalidOperationException($"{encoder.GetType().Name}.PrepareTiles gave {(tiles.shape.Length == 0 ? 0 : tiles.shape[0])} tiles for a layout of {layout.Tiles}");
            return new PreparedInput(tiles, layout);
        }
        using var batch = encoder.Prepare([input]);
        return new PreparedInput(batch[0], null);
    }

    private PreparedInputs Combine(IEncoder encoder, IReadOnlyList<ModalityInput> inputs, IReadOnlyList<int> counts, PreparedInput?[] parts, List<int> fresh)
    {
        var missing = Enumerable.Range(0, inputs.Count).Where(i => parts[i] is null).ToList();
        if (encoder is not ITiledEncoder && missing.Count == inputs.Count && (budgetBytes <= 0 || inputs.Any(i => i.Path is null)))
            return new PreparedInputs(encoder.Prepare(inputs).MoveToOuterDisposeScope(), null);
        if (missing.Count > 0)
        {
            if (encoder is ITiledEncoder)
                foreach (int i in missing) parts[i] = PrepareOne(encoder, inputs[i], counts[i]);
            else
            {
                var batch = encoder.Prepare(missing.Select(i => inputs[i]).ToList());
                for (int j = 0; j < missing.Count; j++) parts[missing[j]] = new PreparedInput(batch[j], null);
            }
            fresh.AddRange(missing);
        }
        foreach (int i in fresh) Keep(encoder, inputs[i], counts[i], parts[i]!);
        // Tiled inputs differ in their tile count: concatenated along the tiles, divided again by their layouts.
        if (encoder is ITiledEncoder)
            return new PreparedInputs(cat(parts.Select(p => p!.Values).ToArray(), 0).MoveToOuterDisposeScope(), parts.Select(p => p!.Layout!).ToList());
        return new PreparedInputs(stack(parts.Select(p => p!.Values).ToArray()).MoveToOuterDisposeScope(), null);
    }

    private void Keep(IEncoder encoder, ModalityInput input, int inputsInSample, PreparedInput one)
    {
        if (input.Path is null || Contains(encoder, input, inputsInSample)) return;
        long bytes = one.Values.numel() * one.Values.element_size();
        if (usedBytes + bytes > budgetBytes) return;
        var kept = one.Values.clone();
        kept.DetachFromDisposeScope();
        prepared[Key(encoder, input, inputsInSample)] = one with { Values = kept };
        usedBytes += bytes;
    }

    /// <summary>The file, and for a tiled encoder how many inputs its sample holds (other encoders prepare an input
    /// alike wherever it stands); the prefetcher keys its slots the same way.</summary>
    internal static (string, string, int) Key(IEncoder encoder, ModalityInput input, int inputsInSample)
        => (input.Modality, input.Path!, encoder is ITiledEncoder ? inputsInSample : 0);

    public void Dispose()
    {
        foreach (var one in prepared.Values) one.Values.Dispose();
        prepared.Clear();
        usedBytes = 0;
    }
}

/// <summary>One input prepared by its encoder: [...] without the batch dimension, or a tiled encoder's
/// [tiles, ...] with its layout.</summary>
public sealed record PreparedInput(Tensor Values, TileLayout? Layout);

/// <summary>A batch's inputs of one modality prepared: [inputs, ...], or for a tiled encoder every input's tiles
/// concatenated [tiles, ...] with each input's layout.</summary>
public sealed record PreparedInputs(Tensor Values, IReadOnlyList<TileLayout>? Layouts);
