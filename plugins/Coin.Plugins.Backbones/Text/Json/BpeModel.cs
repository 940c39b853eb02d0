using System.Globalization;
using System.Text;
using Coin.Abstractions.Plugins;

namespace Coin.Plugins.Backbones.Text.Json;

/// <summary>The BPE model of a tokenizer.json, as Hugging Face's tokenizers runs it on one pre-tokenized word: the
/// word as characters (or, with <c>byte_fallback</c>, a character the vocabulary lacks as its UTF-8 bytes
/// <c>&lt;0xNN&gt;</c>; else the unknown token, consecutive ones fused with <c>fuse_unk</c>), then the merge of lowest
/// rank, leftmost first, until none applies. With <c>ignore_merges</c> a word found whole in the vocabulary is that
/// token.</summary>
internal sealed class BpeModel
{
    private readonly Dictionary<string, int> vocabulary;
    private readonly Dictionary<(int, int), (int Rank, int Merged)> merges = [];
    private readonly int? unknown;
    private readonly bool byteFallback, fuseUnknown, ignoreMerges;
    private readonly int?[] byteTokens = new int?[256];

    public BpeModel(Dictionary<string, int> vocabulary, IReadOnlyList<(string A, string B)> merges, string? unknownToken, bool byteFallback, bool fuseUnknown, bool ignoreMerges, string path)
    {
        this.vocabulary = vocabulary;
        this.byteFallback = byteFallback;
        this.fuseUnknown = fuseUnknown;
        this.ignoreMerges = ignoreMerges;
        if (unknownToken is not null)
            unknown = vocabulary.TryGetValue(unknownToken, out int u) ? u : throw new CoinUserException($"{path}: model.unk_token '{unknownToken}' is not in the vocabulary");
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (a, b) = merges[rank];
            if (!vocabulary.TryGetValue(a, out int left) || !vocabulary.TryGetValue(b, out int right) || !vocabulary.TryGetValue(a + b, out int merged))
                throw new CoinUserException($"{path}: merge {rank} ('{a} {b}') uses a token the vocabulary lacks");
            this.merges.TryAdd((left, right), (rank, merged));
        }
        for (int b = 0; b < 256; b++)
            if (vocabulary.TryGetValue($"<0x{b:X2}>", out int id)) byteTokens[b] = id;
        TokenOf = new string[vocabulary.Values.DefaultIfEmpty(-1).Max() + 1];
        foreach (var (token, id) in vocabulary) TokenOf[id] = token;
    }

    /// <summary>Token strings by id (null where the vocabulary has a gap).</summary>
    public string?[] TokenOf { get; }

    public void Encode(string word, List<int> ids)
    {
        if (word.Length == 0) return;
        if (ignoreMerges && vocabulary.TryGetValue(word, out int whole))
        {
            ids.Add(whole);
            return;
        }
        var symbols = new List<int>(word.Length);
        bool lastWasUnknown = false;
        Span<byte> utf8 = stackalloc byte[4];
        var runes = word.EnumerateRunes();
        foreach (var rune in runes)
        {
            string text = rune.ToString();
            if (vocabulary.TryGetValue(text, out int id))
            {
                symbols.Add(id);
                lastWasUnknown = false;
                continue;
            }
            if (byteFallback)
            {
                int count = rune.EncodeToUtf8(utf8);
                bool all = true;
                for (int i = 0; i < count; i++) all &= byteTokens[utf8[i]] is not null;
                if (all)
                {
                    for (int i = 0; i < count; i++) symbols.Add(byteTokens[utf8[i]]!.Value);
                    lastWasUnknown = false;
                    continue;
                }
            }
            if (unknown is not { } u)
                throw new CoinUserException($"tokenizer.json: the character U+{rune.Value:X4} is not in the vocabulary, and the tokenizer has no unk_token{(byteFallback ? "" : " or byte fallback")}");
            if (!(fuseUnknown && lastWasUnknown)) symbols.Add(u);
            lastWasUnknown = true;
        }
        // The lowest-ranked adjacent pair merges first (leftmost among equals), as the priority queue of
        // tokenizers' Word::merge_all orders them.
        while (symbols.Count > 1)
        {
            int best = -1, bestRank = int.MaxValue, merged = 0;
            for (int i = 0; i + 1 < symbols.Count; i++)
                if (merges.TryGetValue((symbols[i], symbols[i + 1]), out var m) && m.Rank < bestRank)
                    (best, bestRank, merged) = (i, m.Rank, m.Merged);
            if (best < 0) break;
            symbols[best] = merged;
            symbols.RemoveAt(best + 1);
        }
        ids.AddRange(symbols);
    }

    public bool TryGetId(string token, out int id) => vocabulary.TryGetValue(token, out id);
}
