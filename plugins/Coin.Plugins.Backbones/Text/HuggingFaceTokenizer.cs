using System.Text.Json;
using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;
using Coin.Plugins.Backbones.Text.Json;

namespace Coin.Plugins.Backbones.Text;

/// <summary>A Hugging Face <c>tokenizer.json</c> with a BPE model, run as Hugging Face's tokenizers runs it: added
/// tokens split out of the raw text first, each remaining segment normalized, pre-tokenized and encoded word by word
/// (<see cref="TextPipeline"/>, <see cref="BpeModel"/>). Byte-level files (GPT-2, Qwen2, LLaMA-3 with ignore_merges)
/// and SentencePiece-style ones (LLaMA-2, Vicuna, Mistral: Prepend/Replace or Metaspace, byte_fallback) both load;
/// a step it does not implement stops the load, naming it. Agreement with the tokenizers library is tested on 240
/// strings per family. The host's modality placeholders (<see cref="AddPlaceholders"/>) that the vocabulary lacks get
/// ids past its end: features replace them before the embedding table.</summary>
internal sealed class HuggingFaceTokenizer : ITokenizer
{
    private static readonly string[] EosCandidates = ["<|im_end|>", "<|eot_id|>", "<|endoftext|>", "</s>"];

    private readonly TextPipeline pipeline;
    private readonly BpeModel model;
    private readonly TokenDecoder decoder;
    private readonly Dictionary<string, int> addedTokens;
    private readonly HashSet<int> specialIds;
    private readonly Dictionary<string, int> virtualTokens = [];
    private readonly Dictionary<string, int> normalizedTokens;   // added tokens with normalized: true, by normalised form
    private readonly HashSet<string> normalizedContents;
    private string[] splitTokens;
    private readonly string?[] tokenOf;     // by id: the vocabulary's token, else the added token
    private readonly int modelVocabSize;

    private HuggingFaceTokenizer(TextPipeline pipeline, BpeModel model, TokenDecoder decoder, Dictionary<string, int> addedTokens, HashSet<int> specialIds,
        int modelVocabSize, string eosToken, int eosId, int padId, Dictionary<string, int> normalizedTokens, HashSet<string> normalizedContents)
    {
        this.normalizedContents = normalizedContents;
        this.normalizedTokens = normalizedTokens;
        this.pipeline = pipeline;
        this.model = model;
        this.decoder = decoder;
        this.addedTokens = addedTokens;
        this.specialIds = specialIds;
        this.modelVocabSize = modelVocabSize;
        EosToken = eosToken;
        EosId = eosId;
        PadId = padId;
        splitTokens = RawTokens().ToArray();
        tokenOf = new string?[modelVocabSize];
        foreach (var (token, id) in addedTokens) tokenOf[id] = token;
        for (int id = 0; id < model.TokenOf.Length; id++) tokenOf[id] = model.TokenOf[id] ?? tokenOf[id];
    }

    /// <summary>Ids the model's embedding table covers; placeholder ids past it are virtual.</summary>
    public int VocabSize => modelVocabSize;
    public int PadId { get; }
    public int EosId { get; }

    /// <summary>The end-of-sequence token as text, for chat templates.</summary>
    public string EosToken { get; }

    public int? SpecialTokenId(string token)
        => addedTokens.TryGetValue(token, out int id) ? id : virtualTokens.TryGetValue(token, out id) ? id : null;

    public IReadOnlyDictionary<string, int> AddPlaceholders(IReadOnlyList<string> placeholders)
    {
        foreach (string placeholder in placeholders.Where(p => !addedTokens.ContainsKey(p) && !virtualTokens.ContainsKey(p)))
            virtualTokens[placeholder] = modelVocabSize + virtualTokens.Count;
        splitTokens = RawTokens().Concat(virtualTokens.Keys).ToArray();
        return placeholders.Distinct().ToDictionary(p => p, p => SpecialTokenId(p)!.Value);
    }

    public IReadOnlyList<int> Encode(string text)
    {
        var ids = new List<int>();
        bool first = true;
        foreach (var (segment, token) in TokenText.SplitAddedTokens(text, splitTokens))
        {
            if (segment.Length > 0) EncodeSegment(segment, first, ids);
            first = false;
            if (token is not null) ids.Add(addedTokens.TryGetValue(token, out int id) ? id : virtualTokens[token]);
        }
        return ids;
    }

    /// <summary>Added tokens matched in the raw text: those with <c>normalized: false</c>.</summary>
    private IEnumerable<string> RawTokens() => addedTokens.Keys.Where(t => !normalizedContents.Contains(t));

    /// <summary>A segment between raw-text tokens, as tokenizers' AddedVocabulary::extract_and_normalize treats it:
    /// normalised, then split on the added tokens with <c>normalized: true</c> (matched in their normalised form), and
    /// each piece pre-tokenized and encoded; only a piece that starts the segment counts as first.</summary>
    private void EncodeSegment(string segment, bool first, List<int> ids)
    {
        string normalized = pipeline.Normalize(segment);
        foreach (var (piece, token) in TokenText.SplitAddedTokens(normalized, normalizedTokens.Keys))
        {
            if (piece.Length > 0)
                foreach (string word in pipeline.PreTokenize(piece, first)) model.Encode(word, ids);
            first = false;
            if (token is not null) ids.Add(normalizedTokens[token]);
        }
    }

    public string Decode(IEnumerable<int> ids)
        => decoder.Decode(ids.Where(id => id >= 0 && id < modelVocabSize && !specialIds.Contains(id)).Select(id => tokenOf[id] ?? ""));

    public static HuggingFaceTokenizer Load(string path, string? eosToken = null)
    {
        if (!File.Exists(path)) throw new CoinUserException($"{path}: tokenizer file not found");
        try
        {
            using var document = JsonDocument.Parse(Coin.Nn.Files.InputFile.ReadJsonText(path, Coin.Nn.Files.InputFile.Limits.Tokenizer, "tokenizer file"));
            var root = document.RootElement;
            var json = Required(root, "model", path);
            string type = json.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "BPE";
            if (type != "BPE") throw new CoinUserException($"{path}: model.type is '{type}'; only BPE tokenizers are implemented");
            foreach (string affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
                if (json.TryGetProperty(affix, out var a) && a.ValueKind == JsonValueKind.String && a.GetString()!.Length > 0)
                    throw new CoinUserException($"{path}: model.{affix} '{a.GetString()}' is not implemented");
            if (json.TryGetProperty("dropout", out var dropout) && dropout.ValueKind == JsonValueKind.Number && dropout.GetDouble() > 0)
                throw new CoinUserException($"{path}: model.dropout {dropout.GetDouble()} makes tokenization random; only none is implemented");
            var vocabulary = Required(json, "vocab", path).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal);
            var merges = Required(json, "merges", path).EnumerateArray().Select(m =>
            {
                if (m.ValueKind == JsonValueKind.Array) return (m[0].GetString()!, m[1].GetString()!);
                string text = m.GetString()!;
                int space = text.IndexOf(' ', 1);
                return space > 0 ? (text[..space], text[(space + 1)..]) : throw new CoinUserException($"{path}: merge '{text}' is not two tokens");
            }).ToList();
            bool Flag(string name) => json.TryGetProperty(name, out var f) && f.ValueKind == JsonValueKind.True;
            string? unknown = json.TryGetProperty("unk_token", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
            var model = new BpeModel(vocabulary, merges, unknown, Flag("byte_fallback"), Flag("fuse_unk"), Flag("ignore_merges"), path);

            var added = new Dictionary<string, int>(StringComparer.Ordinal);
            var normalizedContent = new List<(string Content, int Id)>();
            var special = new HashSet<int>();
            if (root.TryGetProperty("added_tokens", out var addedTokens) && addedTokens.ValueKind == JsonValueKind.Array)
                foreach (var token in addedTokens.EnumerateArray())
                {
                    string content = token.GetProperty("content").GetString()!;
                    foreach (string flag in new[] { "lstrip", "rstrip", "single_word" })
                        if (token.TryGetProperty(flag, out var f) && f.ValueKind == JsonValueKind.True)
                            throw new CoinUserException($"{path}: added token '{content}' has {flag}: true, which is not implemented");
                    added[content] = token.GetProperty("id").GetInt32();
                    if (token.TryGetProperty("normalized", out var n) && n.ValueKind == JsonValueKind.True) normalizedContent.Add((content, added[content]));
                    if (token.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True) special.Add(added[content]);
                }

            var pipeline = new TextPipeline(root, path);
            // As tokenizers' refresh_added_tokens: a normalized token is matched by its content put through the normalizer.
            var normalizedTokens = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var (content, id) in normalizedContent)
            {
                string form = pipeline.Normalize(content);
                if (form.Length == 0) throw new CoinUserException($"{path}: added token '{content}' (normalized: true) normalises to nothing");
                normalizedTokens.TryAdd(form, id);
            }
            var decoder = new TokenDecoder(root, path);
            int size = Math.Max(vocabulary.Values.DefaultIfEmpty(-1).Max(), added.Values.DefaultIfEmpty(-1).Max()) + 1;
            string eos = eosToken ?? EosCandidates.FirstOrDefault(added.ContainsKey)
                ?? throw new CoinUserException($"{path}: no end-of-sequence token found among {string.Join(", ", EosCandidates)}; set the backbone's eosToken option");
            if (!added.TryGetValue(eos, out int eosId) && !vocabulary.TryGetValue(eos, out eosId))
                throw new CoinUserException($"{path}: end-of-sequence token '{eos}' is not in the vocabulary");
            int padId = added.TryGetValue("<pad>", out int pad) ? pad : eosId;
            return new HuggingFaceTokenizer(pipeline, model, decoder, added, special, size, eos, eosId, padId, normalizedTokens, normalizedContent.Select(t => t.Content).ToHashSet(StringComparer.Ordinal));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new CoinUserException($"{path}: malformed tokenizer.json ({e.Message})");
        }
    }

    private static JsonElement Required(JsonElement element, string name, string path)
        => element.TryGetProperty(name, out var value) ? value : throw new CoinUserException($"{path}: missing '{name}'");
}
