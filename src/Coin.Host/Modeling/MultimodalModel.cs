using TorchSharp;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Coin.Host.Modeling;

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

    public void MoveTo(Device device)
    {
        foreach (var module in AllModules()) module.to(device);
    }

    public void SetTraining(bool training)
    {
        foreach (var module in AllModules()) module.train(training);
    }

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

    /// <summary>Token embeddings with each placeholder replaced by its input's projected features.</summary>
    /// <returns>embeddings [batch, length, hidden], attention mask [batch, length], labels [batch, length] (-100 on
    /// features and padding); padded on the left for generation, on the right for training.</returns>
    public (Tensor Embeddings, Tensor Mask, Tensor Labels) Splice(Batch batch, bool padLeft)
    {
        var tokenEmbeddings = backbone.Embed(collator.WithoutPlaceholders(batch.InputIds));
        var features = new Dictionary<string, Tensor>();
        foreach (var (modality, prepared) in batch.ModalityInputs)
            features[modality] = connectors[modality].Project(encoders[modality].Encode(prepared));

        long[] ids = batch.InputIds.cpu().data<long>().ToArray();
        long[] real = batch.AttentionMask.cpu().data<long>().ToArray();
        int rows = (int)batch.InputIds.shape[0], width = (int)batch.InputIds.shape[1];
        var used = features.Keys.ToDictionary(m => m, _ => 0);
        var rowEmbeddings = new Tensor[rows];
        var rowLabels = new Tensor[rows];
        for (int b = 0; b < rows; b++)
        {
            var pieces = new List<Tensor>();
            var labelPieces = new List<Tensor>();
            int runStart = -1;
            void FlushText(int end)
            {
                if (runStart < 0) return;
                pieces.Add(tokenEmbeddings[b].narrow(0, runStart, end - runStart));
                labelPieces.Add(batch.Labels[b].narrow(0, runStart, end - runStart));
                runStart = -1;
            }
            for (int t = 0; t < width; t++)
            {
                if (real[b * width + t] == 0) { FlushText(t); continue; }
                string? modality = collator.ModalityOf(ids[b * width + t]);
                if (modality is null) { if (runStart < 0) runStart = t; continue; }
                FlushText(t);
                var feature = features[modality][used[modality]++];
                pieces.Add(feature);
                labelPieces.Add(full(feature.shape[0], Batch.IgnoreIndex, dtype: ScalarType.Int64, device: feature.device));
            }
            FlushText(width);
            rowEmbeddings[b] = cat(pieces, 0);
            rowLabels[b] = cat(labelPieces, 0);
        }
        return Pad(rowEmbeddings, rowLabels, padLeft);
    }

    private static (Tensor, Tensor, Tensor) Pad(Tensor[] embeddings, Tensor[] labels, bool padLeft)
    {
        long length = embeddings.Max(e => e.shape[0]);
        long hidden = embeddings[0].shape[1];
        var device = embeddings[0].device;
        var paddedEmbeddings = new Tensor[embeddings.Length];
        var paddedLabels = new Tensor[embeddings.Length];
        var masks = new Tensor[embeddings.Length];
        for (int b = 0; b < embeddings.Length; b++)
        {
            long real = embeddings[b].shape[0], pad = length - real;
            var zerosPad = zeros([pad, hidden], dtype: embeddings[b].dtype, device: device);
            var ignorePad = full(pad, Batch.IgnoreIndex, dtype: ScalarType.Int64, device: device);
            var realMask = ones(real, dtype: ScalarType.Int64, device: device);
            var nothing = zeros(pad, dtype: ScalarType.Int64, device: device);
            paddedEmbeddings[b] = padLeft ? cat([zerosPad, embeddings[b]], 0) : cat([embeddings[b], zerosPad], 0);
            paddedLabels[b] = padLeft ? cat([ignorePad, labels[b]], 0) : cat([labels[b], ignorePad], 0);
            masks[b] = padLeft ? cat([nothing, realMask], 0) : cat([realMask, nothing], 0);
        }
        return (stack(paddedEmbeddings), stack(masks), stack(paddedLabels));
    }

    public void Dispose()
    {
        foreach (var connector in connectors.Values) connector.Dispose();
        foreach (var encoder in encoders.Values) encoder.Dispose();
        backbone.Dispose();
    }
}
