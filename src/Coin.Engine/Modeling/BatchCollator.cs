using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using static TorchSharp.torch;

namespace Coin.Engine.Modeling;

/// <summary>Turns samples into a <see cref="Batch"/>: chat-template text, token ids with one placeholder token per
/// modality input, answer labels, and each modality's inputs prepared by its encoder.</summary>
public sealed class BatchCollator : IDisposable
{
    private readonly PreparedInputCache preparedInputs;
    private readonly IBackbone backbone;
    private readonly IReadOnlyDictionary<string, IEncoder> encoders;
    private readonly Device device;
    private readonly IReadOnlyDictionary<string, IConnector> connectors;
    private readonly Dictionary<int, string> placeholderModality = [];

    /// <param name="preparedCacheBytes">Memory for encoder inputs prepared once and reused (0: prepare every time).</param>
    /// <param name="connectors">Each modality's connector: a tiled encoder's says how many tokens an input takes.</param>
    public BatchCollator(IBackbone backbone, IReadOnlyDictionary<string, IEncoder> encoders, Device device, long preparedCacheBytes = 0,
        IReadOnlyDictionary<string, IConnector>? connectors = null)
    {
        preparedInputs = new PreparedInputCache(preparedCacheBytes);
        this.backbone = backbone;
        this.encoders = encoders;
        this.connectors = connectors ?? new Dictionary<string, IConnector>();
        this.device = device;
        // The host owns the placeholders: one per modality of the run, made tokens of whatever tokenizer the backbone has.
        var ids = backbone.Tokenizer.AddPlaceholders(encoders.Keys.Select(Placeholders.Of).ToList());
        foreach (var modality in encoders.Keys) placeholderModality[ids[Placeholders.Of(modality)]] = modality;
    }

    /// <summary>The modality whose placeholder has this id, or null for a text token.</summary>
    public string? ModalityOf(long tokenId) => placeholderModality.GetValueOrDefault((int)tokenId);

    /// <summary>The ids with every placeholder replaced by the pad id. A tokenizer may give placeholders ids past
    /// its embedding table; their embeddings are replaced by features anyway.</summary>
    public Tensor WithoutPlaceholders(Tensor inputIds)
    {
        var result = inputIds;
        foreach (int id in placeholderModality.Keys) result = result.masked_fill(result.eq(id), backbone.Tokenizer.PadId);
        return result;
    }

    /// <summary>The positions a sample takes in the model's sequence: its tokens, each placeholder replaced by its
    /// encoder's features (for memory plans). An input of a tiled encoder counts as its largest layout (the plan
    /// reads no image to size it): an upper bound.</summary>
    public int SequenceLength(Sample sample, bool includeAnswer)
    {
        int length = backbone.Tokenizer.Encode(backbone.ChatTemplate.FormatPrompt(sample.Instruction)).Count;
        if (includeAnswer) length += backbone.Tokenizer.Encode(backbone.ChatTemplate.FormatAnswer(sample.Answer)).Count;
        foreach (var input in sample.Inputs)
            if (encoders.ContainsKey(input.Modality)) length += MostTokensPerInput(input.Modality) - 1;
        return length;
    }

    /// <summary>The feature vectors one input of this modality puts in the sequence, at most.</summary>
    public int MostTokensPerInput(string modality)
    {
        var encoder = encoders[modality];
        if (encoder is not ITiledEncoder tiled) return encoder.TokensPerInput;
        if (connectors.GetValueOrDefault(modality) is not IPackingConnector packing)
            throw new InvalidOperationException($"the {modality} encoder is tiled but its connector does not pack tiles");
        return packing.TokensFor(tiled.LargestLayout, tiled.TokensPerInput);
    }

    /// <summary>Training batch: prompt + answer, right-padded; labels on answer tokens only.</summary>
    public Batch Collate(IReadOnlyList<Sample> samples, bool includeAnswer)
    {
        var rows = new List<(List<int> Ids, int PromptLength)>(samples.Count);
        foreach (var sample in samples)
        {
            CheckInputs(sample);
            var ids = backbone.Tokenizer.Encode(backbone.ChatTemplate.FormatPrompt(sample.Instruction)).ToList();
            int promptLength = ids.Count;
            if (includeAnswer) ids.AddRange(backbone.Tokenizer.Encode(backbone.ChatTemplate.FormatAnswer(sample.Answer)));
            rows.Add((ids, promptLength));
        }
        int width = rows.Max(r => r.Ids.Count);
        var inputIds = new long[samples.Count * width];
        var mask = new long[samples.Count * width];
        var labels = new long[samples.Count * width];
        Array.Fill(inputIds, backbone.Tokenizer.PadId);
        Array.Fill(labels, Batch.IgnoreIndex);
        for (int b = 0; b < rows.Count; b++)
        {
            var (ids, promptLength) = rows[b];
            for (int t = 0; t < ids.Count; t++)
            {
                inputIds[b * width + t] = ids[t];
                mask[b * width + t] = 1;
                if (t >= promptLength) labels[b * width + t] = ids[t];
            }
        }

        var modalityInputs = new Dictionary<string, Tensor>();
        var layouts = new Dictionary<string, IReadOnlyList<TileLayout>>();
        foreach (var (modality, encoder) in encoders)
        {
            var inputs = samples.SelectMany(s => s.Inputs.Where(i => i.Modality == modality)).ToList();
            if (inputs.Count == 0) continue;
            var inputsInSample = samples.Select(s => s.Inputs.Count(i => i.Modality == modality)).SelectMany(n => Enumerable.Repeat(n, n)).ToList();
            var prepared = preparedInputs.Prepare(encoder, inputs, inputsInSample);
            modalityInputs[modality] = prepared.Values.to(device);
            if (prepared.Layouts is { } tiles) layouts[modality] = tiles;
        }
        return new Batch(samples,
            tensor(inputIds, [samples.Count, width]).to(device),
            tensor(mask, [samples.Count, width]).to(device),
            tensor(labels, [samples.Count, width]).to(device),
            modalityInputs) { TileLayouts = layouts };
    }

    /// <summary>Background workers preparing the inputs of a task's coming steps (<see cref="InputPrefetcher"/>)
    /// until <see cref="StopPrefetching"/>; the caller disposes the prefetcher.</summary>
    public InputPrefetcher Prefetch(int workers, int stepsAhead, int stepCount, Func<int, IReadOnlyList<Sample>> stepSamples)
    {
        var prefetcher = new InputPrefetcher(encoders, workers, stepsAhead, stepCount, stepSamples, preparedInputs.Contains);
        preparedInputs.Prefetcher = prefetcher;
        return prefetcher;
    }

    public void StopPrefetching() => preparedInputs.Prefetcher = null;

    public void Dispose() => preparedInputs.Dispose();

    private void CheckInputs(Sample sample)
    {
        foreach (var group in sample.Inputs.GroupBy(i => i.Modality))
        {
            if (!encoders.ContainsKey(group.Key))
                throw new CoinUserException($"sample '{sample.Id}' of task '{sample.Task}' has {group.Key} input but no encoder is configured for it (model.encoders.{group.Key})");
            int placeholders = CountOccurrences(sample.Instruction, Placeholders.Of(group.Key));
            if (placeholders != group.Count())
                throw new CoinUserException($"sample '{sample.Id}' of task '{sample.Task}': {group.Count()} {group.Key} input(s) but {placeholders} {Placeholders.Of(group.Key)} placeholder(s) in the instruction");
        }
    }

    private static int CountOccurrences(string text, string token)
    {
        int count = 0;
        for (int at = text.IndexOf(token, StringComparison.Ordinal); at >= 0; at = text.IndexOf(token, at + token.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}
