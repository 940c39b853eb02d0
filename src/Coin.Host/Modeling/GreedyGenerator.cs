using Coin.Abstractions.Data;
using static TorchSharp.torch;

namespace Coin.Host.Modeling;

/// <summary>Batched greedy decoding with the backbone's key/value cache (CoIN evaluates greedily).</summary>
public static class GreedyGenerator
{
    /// <summary>Generates an answer for each sample. Runs in the caller's dispose scope, without gradients.</summary>
    public static IReadOnlyList<string> Generate(MultimodalModel model, IReadOnlyList<Sample> samples, int maxNewTokens)
    {
        using var noGrad = no_grad();
        var tokenizer = model.Backbone.Tokenizer;
        var batch = model.Collator.Collate(samples, includeAnswer: false);
        var (embeddings, mask, _) = model.Splice(batch, padLeft: true);
        using var cache = model.Backbone.CreateCache();

        int rows = samples.Count;
        var generated = new List<int>[rows];
        for (int b = 0; b < rows; b++) generated[b] = [];
        var finished = new bool[rows];
        var logits = model.Backbone.Forward(embeddings, mask, cache);
        for (int step = 0; step < maxNewTokens; step++)
        {
            var next = logits.select(1, -1).argmax(-1);
            long[] tokens = next.cpu().data<long>().ToArray();
            for (int b = 0; b < rows; b++)
            {
                if (finished[b]) continue;
                if (tokens[b] == tokenizer.EosId) finished[b] = true;
                else generated[b].Add((int)tokens[b]);
            }
            if (finished.All(f => f) || step == maxNewTokens - 1) break;
            mask = cat([mask, ones(rows, 1, dtype: ScalarType.Int64, device: mask.device)], 1);
            logits = model.Backbone.Forward(model.Backbone.Embed(next.unsqueeze(1)), mask, cache);
        }
        return generated.Select(ids => tokenizer.Decode(ids).Trim()).ToList();
    }
}
