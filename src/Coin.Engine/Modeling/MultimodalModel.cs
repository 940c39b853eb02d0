using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Coin.Engine.Modeling;

/// <summary>Backbone + encoders + connectors: encodes each modality, projects it, and splices the features into the
/// token embeddings where the placeholders stand. Owns and disposes the components.</summary>
public sealed class MultimodalModel(
    IBackbone backbone,
    IReadOnlyDictionary<string, IEncoder> encoders,
    IReadOnlyDictionary<string, IConnector> connectors,
    BatchCollator collator) : IMultimodalModel, IDisposable
{
    public IBackbone Backbone => backbone;
    public IReadOnlyDictionary<string, IEncoder> Encoders => encoders;
    public IReadOnlyDictionary<string, IConnector> Connectors => connectors;
    public BatchCollator Collator => collator;
    public IReadOnlyList<ParameterGroup> TrainableGroups { get; set; } = [];

    public IReadOnlyList<nn.Module> ComponentModules(string component) => component switch
    {
        ComponentNames.Encoder => encoders.Values.Select(e => e.Module).ToList(),
        ComponentNames.Connector => connectors.Values.Select(c => c.Module).ToList(),
        ComponentNames.Backbone => [backbone.Module],
        _ => throw new ArgumentException($"unknown component '{component}'", nameof(component)),
    };

    public IEnumerable<nn.Module> AllModules() => ComponentNames.All.SelectMany(ComponentModules);

    /// <summary>The backbone, the encoders and the connectors themselves.</summary>
    public IEnumerable<object> AllComponents() => new object[] { backbone }.Concat(encoders.Values).Concat(connectors.Values);

    public void MoveTo(Device device)
    {
        foreach (var module in AllModules()) module.to(device);
    }

    public void SetTraining(bool training)
    {
        foreach (var module in AllModules()) module.train(training);
    }

    /// <summary>Stores every frozen <see cref="Coin.Nn.Layers.AutocastLinear"/> weight of every component in
    /// <paramref name="type"/>; returns the number of parameters converted.</summary>
    public long StoreFrozenLinearWeights(ScalarType type)
        => AllModules().SelectMany(m => m.modules()).OfType<Coin.Nn.Layers.AutocastLinear>().Sum(l => l.StoreFrozenAs(type));

    public Batch Collate(IReadOnlyList<Sample> samples) => collator.Collate(samples, includeAnswer: true);

    public ModelOutput Forward(Batch batch)
    {
        var (embeddings, mask, labels) = Splice(batch, padLeft: false);
        var logits = backbone.Forward(embeddings, mask);
        long vocab = logits.shape[^1];
        long length = logits.shape[1];
        var loss = F.cross_entropy(
            logits.narrow(1, 0, length - 1).reshape(-1, vocab),
            labels.narrow(1, 1, length - 1).reshape(-1),
            ignore_index: Batch.IgnoreIndex);
        return new ModelOutput(logits, labels, loss);
    }

    /// <summary>A frozen encoder runs without gradients: nothing flows back into it, so its activations need not be kept
    /// (the same numbers: a frozen encoder's output on inputs that need no gradient never needed one).</summary>
    private static Tensor Encode(IEncoder encoder, Tensor prepared)
    {
        if (encoder.Module.parameters().Any(p => p.requires_grad) || prepared.requires_grad) return encoder.Encode(prepared);
        using var noGrad = no_grad();
        return encoder.Encode(prepared);
    }

    /// <summary>Token embeddings with each placeholder replaced by its input's projected features.</summary>
    /// <returns>embeddings [batch, length, hidden], attention mask [batch, length], labels [batch, length] (-100 on
    /// features and padding); padded on the left for generation, on the right for training.</returns>
    /// <remarks>One gather from a table of [text embeddings; every feature vector; a zero row]: the index is worked
    /// out on the host, so the graph holds one index_select instead of a narrow and a cat per text run and feature,
    /// whose backward passes each wrote a zero-filled copy of the whole batch.</remarks>
    public (Tensor Embeddings, Tensor Mask, Tensor Labels) Splice(Batch batch, bool padLeft)
    {
        var tokenEmbeddings = backbone.Embed(collator.WithoutPlaceholders(batch.InputIds));
        int rows = (int)batch.InputIds.shape[0], width = (int)batch.InputIds.shape[1];
        long hidden = tokenEmbeddings.shape[2];
        var sources = new List<Tensor> { tokenEmbeddings.reshape(rows * width, hidden) };
        // Per modality, each input's first row in the table and its number of feature vectors, in placeholder order.
        var featureRows = new Dictionary<string, List<(long First, long Count)>>();
        long tableRows = rows * width;
        foreach (var (modality, prepared) in batch.ModalityInputs)
        {
            var encoded = Encode(encoders[modality], prepared);
            var inputs = featureRows[modality] = [];
            if (batch.TileLayouts.TryGetValue(modality, out var layouts))
            {
                // Tiled inputs: encoded together, then each input's tiles projected and packed into its own sequence.
                var packing = (IPackingConnector)connectors[modality];
                long tile = 0;
                foreach (var layout in layouts)
                {
                    var packed = packing.ProjectAndPack(encoded.narrow(0, tile, layout.Tiles), layout);
                    tile += layout.Tiles;
                    inputs.Add((tableRows, packed.shape[0]));
                    sources.Add(packed);
                    tableRows += packed.shape[0];
                }
                continue;
            }
            var projected = connectors[modality].Project(encoded);
            for (long i = 0; i < projected.shape[0]; i++) inputs.Add((tableRows + i * projected.shape[1], projected.shape[1]));
            sources.Add(projected.reshape(-1, hidden));
            tableRows += projected.shape[0] * projected.shape[1];
        }
        long zeroRow = tableRows;
        sources.Add(zeros([1, hidden], dtype: tokenEmbeddings.dtype, device: tokenEmbeddings.device));

        var (embeddingIndex, labelIndex, maskValues, length) = GatherPlan(batch, rows, width, featureRows, zeroRow, padLeft);
        var device = tokenEmbeddings.device;
        var embeddings = cat(sources, 0).index_select(0, tensor(embeddingIndex, device: device)).view(rows, length, hidden);
        var labelTable = cat([batch.Labels.reshape(-1), full(1, Batch.IgnoreIndex, dtype: ScalarType.Int64, device: batch.Labels.device)]);
        var labels = labelTable.index_select(0, tensor(labelIndex, device: labelTable.device)).view(rows, length);
        var mask = tensor(maskValues, device: device).view(rows, length);
        return (embeddings, mask, labels);
    }

    /// <summary>For each output position: the table row of its embedding, the index of its label (the last one is
    /// the ignore label) and whether it is real (1) or padding (0).</summary>
    private (long[] Embedding, long[] Label, long[] Mask, long Length) GatherPlan(
        Batch batch, int rows, int width, Dictionary<string, List<(long First, long Count)>> features, long zeroRow, bool padLeft)
    {
        long[] ids = batch.InputIds.cpu().data<long>().ToArray();
        long[] real = batch.AttentionMask.cpu().data<long>().ToArray();
        long ignoreLabel = rows * width;
        var used = features.Keys.ToDictionary(m => m, _ => 0L);
        var rowPlans = new List<(long Embedding, long Label)>[rows];
        for (int b = 0; b < rows; b++)
        {
            var plan = rowPlans[b] = [];
            for (int t = 0; t < width; t++)
            {
                long at = b * width + t;
                if (real[at] == 0) continue;
                string? modality = collator.ModalityOf(ids[at]);
                if (modality is null) { plan.Add((at, at)); continue; }
                var (first, count) = features[modality][(int)used[modality]++];
                for (long j = 0; j < count; j++) plan.Add((first + j, ignoreLabel));
            }
        }
        long length = rowPlans.Max(p => p.Count);
        var embedding = new long[rows * length];
        var label = new long[rows * length];
        var mask = new long[rows * length];
        for (int b = 0; b < rows; b++)
        {
            var plan = rowPlans[b];
            long offset = padLeft ? length - plan.Count : 0;
            for (long t = 0; t < length; t++)
            {
                long at = b * length + t, k = t - offset;
                bool isReal = k >= 0 && k < plan.Count;
                embedding[at] = isReal ? plan[(int)k].Embedding : zeroRow;
                label[at] = isReal ? plan[(int)k].Label : ignoreLabel;
                mask[at] = isReal ? 1 : 0;
            }
        }
        return (embedding, label, mask, length);
    }

    public void Dispose()
    {
        foreach (var connector in connectors.Values) connector.Dispose();
        foreach (var encoder in encoders.Values) encoder.Dispose();
        backbone.Dispose();
        collator.Dispose();
    }
}
