using System.Text;
using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;
using Google.Protobuf;

namespace Coin.Plugins.Backbones.Text;

/// <summary>A SentencePiece <c>tokenizer.model</c> (the protobuf LLaMA-1/2 and LLaVA-1.5's Vicuna ship, often without
/// a tokenizer.json), encoded as SentencePiece's BPE model does (bpe_model.cc): the text with its dummy prefix and
/// spaces as ▁, split into characters, then the adjacent pair whose joined piece has the highest score merged first
/// (leftmost among equals), pieces the vocabulary lacks written as their UTF-8 bytes <c>&lt;0xNN&gt;</c> (byte fallback)
/// or as the unknown piece. &lt;s&gt;, &lt;/s&gt; and &lt;unk&gt; in the text are split out as their ids first, as
/// transformers' tokenizer does. Not Microsoft.ML.Tokenizers' LlamaTokenizer: on runs of spaces it gave other ids than
/// SentencePiece (15 of 234 test strings, measured). Settings it does not implement (another normalizer, unigram,
/// user-defined symbols, whitespace as suffix) stop the load, named.</summary>
internal sealed class SentencePieceTokenizer : ITokenizer
{
    private const string Space = "\u2581";

    private readonly Dictionary<string, int> pieces;      // normal pieces usable in merges
    private readonly float[] scores;
    private readonly string[] pieceOf;
    private readonly int?[] byteIds = new int?[256];
    private readonly Dictionary<int, byte> byteOfId = [];
    private readonly int unknownId;
    private readonly bool byteFallback, addDummyPrefix;
    private readonly Dictionary<string, int> specials = new(StringComparer.Ordinal);
    private readonly HashSet<int> controlIds = [];
    private readonly Dictionary<string, int> virtualTokens = [];

    private SentencePieceTokenizer(List<(string Piece, float Score, int Type)> model, bool byteFallback, bool addDummyPrefix, string? eosToken, string path)
    {
        this.byteFallback = byteFallback;
        this.addDummyPrefix = addDummyPrefix;
        pieces = new Dictionary<string, int>(StringComparer.Ordinal);
        scores = new float[model.Count];
        pieceOf = new string[model.Count];
        unknownId = -1;
        for (int id = 0; id < model.Count; id++)
        {
            var (piece, score, type) = model[id];
            pieceOf[id] = piece;
            scores[id] = score;
            switch (type)
            {
                case 1: pieces.TryAdd(piece, id); break;                        // NORMAL
                case 2: unknownId = id; specials[piece] = id; controlIds.Add(id); break;  // UNKNOWN
                case 3: specials[piece] = id; controlIds.Add(id); break;         // CONTROL (<s>, </s>)
                case 4: throw new CoinUserException($"{path}: user-defined symbol '{piece}' (id {id}) is not implemented");
                case 5: break;                                                  // UNUSED
                case 6:                                                         // BYTE
                    if (Json.TokenText.FallbackByte(piece) is { } b) (byteIds[b], byteOfId[id]) = (id, b);
                    break;
                default: throw new CoinUserException($"{path}: piece {id} has type {type}, which SentencePiece does not define");
            }
        }
        if (unknownId < 0) throw new CoinUserException($"{path}: the model has no unknown piece");
        VocabSize = model.Count;
        EosToken = eosToken ?? "</s>";
        if (!specials.ContainsKey(EosToken))
            throw new CoinUserException($"{path}: the model has no control piece '{EosToken}' to end sequences with");
    }

    public int VocabSize { get; }
    public int PadId => EosId;
    public int EosId => specials[EosToken];
    public string EosToken { get; }

    public int? SpecialTokenId(string token)
        => specials.TryGetValue(token, out int id) ? id : virtualTokens.TryGetValue(token, out id) ? id : null;

    /// <summary>Placeholders the model lacks get ids past its end (see <see cref="ITokenizer.AddPlaceholders"/>).</summary>
    public IReadOnlyDictionary<string, int> AddPlaceholders(IReadOnlyList<string> placeholders)
    {
        foreach (string placeholder in placeholders.Where(p => !specials.ContainsKey(p) && !virtualTokens.ContainsKey(p)))
            virtualTokens[placeholder] = VocabSize + virtualTokens.Count;
        return placeholders.Distinct().ToDictionary(p => p, p => SpecialTokenId(p)!.Value);
    }

    public IReadOnlyList<int> Encode(string text)
    {
        var ids = new List<int>();
        foreach (var (segment, token) in Json.TokenText.SplitAddedTokens(text, [.. specials.Keys, .. virtualTokens.Keys]))
        {
            if (segment.Length > 0) EncodeText(segment, ids);
            if (token is not null) ids.Add(SpecialTokenId(token)!.Value);
        }
        return ids;
    }

    private void EncodeText(string text, List<int> ids)
    {
        string normalized = (addDummyPrefix ? Space : "") + text.Replace(" ", Space, StringComparison.Ordinal);
        var symbols = new List<string>();
        foreach (var rune in normalized.EnumerateRunes()) symbols.Add(rune.ToString());
        // The pair whose joined piece scores highest merges first; among equal scores the leftmost.
        while (true)
        {
            int best = -1;
            float bestScore = float.NegativeInfinity;
            for (int i = 0; i + 1 < symbols.Count; i++)
                if (pieces.TryGetValue(symbols[i] + symbols[i + 1], out int id) && scores[id] > bestScore)
                    (best, bestScore) = (i, scores[id]);
            if (best < 0) break;
            symbols[best] += symbols[best + 1];
            symbols.RemoveAt(best + 1);
        }
        foreach (string symbol in symbols)
        {
            if (pieces.TryGetValue(symbol, out int id)) ids.Add(id);
            else if (byteFallback && Encoding.UTF8.GetBytes(symbol) is var bytes && bytes.All(b => byteIds[b] is not null)) ids.AddRange(bytes.Select(b => byteIds[b]!.Value));
            else ids.Add(unknownId);
        }
    }

    /// <summary>As SentencePiece decodes: pieces joined, byte pieces as the characters they spell (U+FFFD for each
    /// byte that starts no valid UTF-8 character, <see cref="Json.TokenText.SentencePieceBytes"/>), ▁ as a space, the dummy prefix's space dropped; control pieces left out.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var text = new StringBuilder();
        var bytes = new List<byte>();
        void Flush()
        {
            if (bytes.Count == 0) return;
            text.Append(Json.TokenText.SentencePieceBytes(bytes));
            bytes.Clear();
        }
        foreach (int id in ids)
        {
            if (id < 0 || id >= VocabSize || controlIds.Contains(id) && id != unknownId) continue;
            if (byteOfId.TryGetValue(id, out byte b)) { bytes.Add(b); continue; }
            Flush();
            text.Append(id == unknownId ? " \u2047 " : pieceOf[id]);
        }
        Flush();
        string decoded = text.ToString().Replace(Space, " ", StringComparison.Ordinal);
        return addDummyPrefix && decoded.StartsWith(' ') ? decoded[1..] : decoded;
    }

    /// <param name="eosToken">The control piece that ends a sequence (the backbone's eosToken); null: &lt;/s&gt;.</param>
    public static SentencePieceTokenizer Load(string path, string? eosToken = null)
    {
        if (!File.Exists(path)) throw new CoinUserException($"{path}: tokenizer file not found");
        return Parse(Coin.Nn.Files.InputFile.ReadAllBytes(path, Coin.Nn.Files.InputFile.Limits.Tokenizer, "SentencePiece model"), path, eosToken);
    }

    /// <summary>A model's bytes (a file's, or a resource built into a plugin); <paramref name="source"/> is what errors
    /// call it.</summary>
    public static SentencePieceTokenizer Parse(byte[] bytes, string source, string? eosToken = null)
    {
        try
        {
            var model = new List<(string, float, int)>();
            int modelType = 1;                 // proto2 defaults: UNIGRAM,
            bool byteFallback = false, treatWhitespaceAsSuffix = false;
            string normalizer = "nmt_nfkc";     // nmt_nfkc,
            bool addDummyPrefix = true, removeExtraWhitespaces = true, escapeWhitespaces = true;
            var input = new CodedInputStream(bytes);
            for (uint tag; (tag = input.ReadTag()) != 0;)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1: model.Add(ReadPiece(input.ReadBytes())); break;
                    case 2:
                        foreach (var (field, value) in Fields(input.ReadBytes()))
                            switch (field)
                            {
                                case 3: modelType = (int)value; break;
                                case 24: treatWhitespaceAsSuffix = value != 0; break;
                                case 35: byteFallback = value != 0; break;
                            }
                        break;
                    case 3:
                        var spec = new CodedInputStream(input.ReadBytes().ToByteArray());
                        for (uint t; (t = spec.ReadTag()) != 0;)
                            switch (WireFormat.GetTagFieldNumber(t))
                            {
                                case 1: normalizer = spec.ReadString(); break;
                                case 3: addDummyPrefix = spec.ReadBool(); break;
                                case 4: removeExtraWhitespaces = spec.ReadBool(); break;
                                case 5: escapeWhitespaces = spec.ReadBool(); break;
                                default: spec.SkipLastField(); break;
                            }
                        break;
                    default: input.SkipLastField(); break;
                }
            }
            if (modelType != 2) throw new CoinUserException($"{source}: model_type {(modelType == 1 ? "UNIGRAM" : modelType.ToString())} is not implemented; only BPE (LLaMA's) is");
            if (normalizer != "identity") throw new CoinUserException($"{source}: normalizer '{normalizer}' is not implemented; only identity (LLaMA's) is");
            if (removeExtraWhitespaces) throw new CoinUserException($"{source}: remove_extra_whitespaces is not implemented");
            if (!escapeWhitespaces || treatWhitespaceAsSuffix) throw new CoinUserException($"{source}: whitespace {(treatWhitespaceAsSuffix ? "as a suffix" : "left unescaped")} is not implemented");
            return new SentencePieceTokenizer(model, byteFallback, addDummyPrefix, eosToken, source);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new CoinUserException($"{source}: not a SentencePiece model ({e.Message})");
        }
    }

    private static (string, float, int) ReadPiece(ByteString bytes)
    {
        var input = new CodedInputStream(bytes.ToByteArray());
        string piece = "";
        float score = 0;
        int type = 1;
        for (uint tag; (tag = input.ReadTag()) != 0;)
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: piece = input.ReadString(); break;
                case 2: score = input.ReadFloat(); break;
                case 3: type = input.ReadEnum(); break;
                default: input.SkipLastField(); break;
            }
        return (piece, score, type);
    }

    /// <summary>The varint fields of a message (the trainer spec's flags and enums); others are skipped.</summary>
    private static IEnumerable<(int Field, ulong Value)> Fields(ByteString bytes)
    {
        var input = new CodedInputStream(bytes.ToByteArray());
        var fields = new List<(int, ulong)>();
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.Varint) fields.Add((WireFormat.GetTagFieldNumber(tag), input.ReadUInt64()));
            else input.SkipLastField();
        }
        return fields;
    }
}
