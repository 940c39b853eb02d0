using Coin.Abstractions.Data;
using static TorchSharp.torch;

namespace Coin.Engine.Modeling;

/// <summary>How answers are generated. Temperature 0 is greedy decoding (CoIN evaluates greedily).</summary>
/// <param name="MaxNewTokens">Tokens generated at most per answer.</param>
/// <param name="Temperature">0 for greedy; otherwise logits are divided by it before sampling.</param>
/// <param name="TopP">Nucleus sampling: sample among the most likely tokens whose probabilities sum to TopP.</param>
/// <param name="StopStrings">Generation of a row stops when its text contains one; the text is cut before it.</param>
/// <param name="UseCache">Reuse past keys and values (off only to measure or check the cache).</param>
/// <param name="Seed">Seed of the sampling generator.</param>
/// <param name="StopAtEos">Off only to measure: every row then generates exactly MaxNewTokens tokens.</param>
/// <param name="ComputeType">Mixed precision's compute type (null: float32 throughout).</param>
public sealed record GenerationSettings(
    int MaxNewTokens,
    double Temperature = 0,
    double TopP = 1.0,
    IReadOnlyList<string>? StopStrings = null,
    bool UseCache = true,
    long Seed = 0,
    bool StopAtEos = true,
    ScalarType? ComputeType = null);

/// <summary>Batched generation over left-padded prompts, with the backbone's key/value cache.</summary>
public static class TextGenerator
{
    /// <summary>Generates an answer per sample. Runs in the caller's dispose scope, without gradients.</summary>
    public static IReadOnlyList<string> Generate(MultimodalModel model, IReadOnlyList<Sample> samples, GenerationSettings settings)
    {
        using var noGrad = no_grad();
        using var precision = Coin.Abstractions.Components.ComputePrecision.Use(settings.ComputeType);
        var backbone = model.Backbone;
        var tokenizer = backbone.Tokenizer;
        var (embeddings, mask, _) = model.Splice(model.Collator.Collate(samples, includeAnswer: false), padLeft: true);
        using var cache = settings.UseCache ? backbone.CreateCache() : null;
        using var random = settings.Temperature > 0 ? new Generator((ulong)settings.Seed, embeddings.device) : null;

        int rows = samples.Count;
        var generated = Enumerable.Range(0, rows).Select(_ => new List<int>()).ToArray();
        var texts = new string?[rows];
        var logits = backbone.Forward(embeddings, mask, cache);
        for (int step = 0; step < settings.MaxNewTokens; step++)
        {
            // Each step in its own scope: only the tensors the next step needs (logits, mask, the growing sequence
            // without the cache) are moved out, so memory stays that of one step however many tokens are generated.
            using var stepScope = NewDisposeScope();
            var next = Choose(logits.select(1, -1), settings, random);
            long[] tokens = next.cpu().data<long>().ToArray();
            for (int b = 0; b < rows; b++)
            {
                if (texts[b] is not null) continue;
                if (settings.StopAtEos && tokens[b] == tokenizer.EosId) { texts[b] = tokenizer.Decode(generated[b]); continue; }
                generated[b].Add((int)tokens[b]);
                if (settings.StopStrings is { Count: > 0 } stops && CutAtStop(tokenizer.Decode(generated[b]), stops) is { } cut) texts[b] = cut;
            }
            if (texts.All(t => t is not null) || step == settings.MaxNewTokens - 1) break;
            var nextEmbedding = backbone.Embed(next.unsqueeze(1));
            var (previousMask, previousLogits, previousEmbeddings) = (mask, logits, embeddings);
            mask = cat([mask, ones(rows, 1, dtype: ScalarType.Int64, device: mask.device)], 1).MoveToOuterDisposeScope();
            if (cache is not null)
            {
                logits = backbone.Forward(nextEmbedding, mask, cache).MoveToOuterDisposeScope();
            }
            else
            {
                embeddings = cat([embeddings, nextEmbedding], 1).MoveToOuterDisposeScope();
                logits = backbone.Forward(embeddings, mask).MoveToOuterDisposeScope();
                previousEmbeddings.Dispose();
            }
            previousMask.Dispose();
            previousLogits.Dispose();
        }
        return texts.Select((t, b) => (t ?? tokenizer.Decode(generated[b])).Trim()).ToList();
    }

    private static Tensor Choose(Tensor lastLogits, GenerationSettings settings, Generator? random)
    {
        if (settings.Temperature <= 0) return lastLogits.argmax(-1);
        var probabilities = nn.functional.softmax(lastLogits / settings.Temperature, -1);
        if (settings.TopP < 1.0)
        {
            var (sorted, order) = probabilities.sort(-1, descending: true);
            // Drop a token when the tokens before it already reach TopP; the most likely token always stays.
            var before = sorted.cumsum(-1) - sorted;
            sorted = sorted.masked_fill(before.ge(settings.TopP), 0);
            probabilities = zeros_like(probabilities).scatter(-1, order, sorted);
        }
        return multinomial(probabilities / probabilities.sum(-1, keepdim: true), 1, generator: random).squeeze(-1);
    }

    private static string? CutAtStop(string text, IReadOnlyList<string> stops)
    {
        int at = stops.Select(s => text.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
        return at >= 0 ? text[..at] : null;
    }
}
