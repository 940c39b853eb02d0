using System.Text.Json;
using System.Text.RegularExpressions;
using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;
using Microsoft.ML.Tokenizers;

namespace Coin.Plugins.Backbones.Text;

/// <summary>A Hugging Face <c>tokenizer.json</c> with a byte-level BPE model (GPT-2, LLaMA-3, Qwen2 style), run by
/// Microsoft.ML.Tokenizers. Modality placeholders (<c>&lt;image&gt;</c>, <c>&lt;audio&gt;</c>) that the vocabulary
/// lacks get ids past its end: they never reach the embedding table, because features replace them.</summary>
public sealed class HuggingFaceTokenizer : ITokenizer
{
    // GPT-2's pre-tokenizer pattern, used when the file has a ByteLevel pre-tokenizer with use_regex and no Split.
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    private static readonly string[] Placeholders = ["<image>", "<audio>"];
    private static readonly string[] EosCandidates = ["<|im_end|>", "<|eot_id|>", "<|endoftext|>", "</s>"];

    private readonly BpeTokenizer bpe;
    private readonly Dictionary<string, int> specialTokens;
    private readonly Dictionary<string, int> virtualTokens = [];
    private readonly int modelVocabSize;

    private HuggingFaceTokenizer(BpeTokenizer bpe, Dictionary<string, int> specialTokens, int modelVocabSize, string eosToken, int eosId, int padId)
    {
        EosToken = eosToken;
        this.bpe = bpe;
        this.specialTokens = specialTokens;
        this.modelVocabSize = modelVocabSize;
        EosId = eosId;
        PadId = padId;
        foreach (string placeholder in Placeholders.Where(p => !specialTokens.ContainsKey(p)))
            virtualTokens[placeholder] = modelVocabSize + virtualTokens.Count;
    }

    /// <summary>Ids the model's embedding table covers; placeholder ids past it are virtual.</summary>
    public int VocabSize => modelVocabSize;
    public int PadId { get; }
    public int EosId { get; }

    /// <summary>The end-of-sequence token as text, for chat templates.</summary>
    public string EosToken { get; }

    public int? SpecialTokenId(string token)
        => specialTokens.TryGetValue(token, out int id) ? id : virtualTokens.TryGetValue(token, out id) ? id : null;

    public IReadOnlyList<int> Encode(string text)
    {
        var ids = new List<int>();
        int start = 0;
        while (start < text.Length)
        {
            int at = text.Length;
            string? found = null;
            foreach (var placeholder in virtualTokens.Keys)
            {
                int index = text.IndexOf(placeholder, start, StringComparison.Ordinal);
                if (index >= 0 && index < at) (at, found) = (index, placeholder);
            }
            if (at > start) ids.AddRange(bpe.EncodeToIds(text[start..at]));
            if (found is null) break;
            ids.Add(virtualTokens[found]);
            start = at + found.Length;
        }
        return ids;
    }

    public string Decode(IEnumerable<int> ids)
    {
        var special = specialTokens.Values.ToHashSet();
        return bpe.Decode(ids.Where(id => id >= 0 && id < modelVocabSize && !special.Contains(id))) ?? "";
    }

    public static HuggingFaceTokenizer Load(string path, string? eosToken = null)
    {
        if (!File.Exists(path)) throw new CoinUserException($"{path}: tokenizer file not found");
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            var model = Required(root, "model", path);
            string type = model.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
            if (type != "BPE") throw new CoinUserException($"{path}: model.type is '{type}'; only byte-level BPE tokenizers are supported");
            var vocabulary = Required(model, "vocab", path).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal);
            var merges = Required(model, "merges", path).EnumerateArray()
                .Select(m => m.ValueKind == JsonValueKind.Array ? $"{m[0].GetString()} {m[1].GetString()}" : m.GetString()!).ToList();
            var special = new Dictionary<string, int>(StringComparer.Ordinal);
            if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
                foreach (var token in added.EnumerateArray())
                    special[token.GetProperty("content").GetString()!] = token.GetProperty("id").GetInt32();

            var (byteLevel, pattern) = ReadPreTokenizer(root, path);
            if (!byteLevel) throw new CoinUserException($"{path}: the pre_tokenizer has no ByteLevel step; only byte-level BPE tokenizers are supported");
            var bpe = BpeTokenizer.Create(new BpeOptions(vocabulary)
            {
                Merges = merges,
                ByteLevel = true,
                SpecialTokens = special,
                PreTokenizer = new RegexPreTokenizer(new Regex(pattern, RegexOptions.Compiled), special),
            });

            int size = Math.Max(vocabulary.Values.DefaultIfEmpty(-1).Max(), special.Values.DefaultIfEmpty(-1).Max()) + 1;
            string eos = eosToken ?? EosCandidates.FirstOrDefault(special.ContainsKey)
                ?? throw new CoinUserException($"{path}: no end-of-sequence token found among {string.Join(", ", EosCandidates)}; set the backbone's eosToken option");
            if (!special.TryGetValue(eos, out int eosId) && !vocabulary.TryGetValue(eos, out eosId))
                throw new CoinUserException($"{path}: end-of-sequence token '{eos}' is not in the vocabulary");
            int padId = special.TryGetValue("<pad>", out int pad) ? pad : eosId;
            return new HuggingFaceTokenizer(bpe, special, size, eos, eosId, padId);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new CoinUserException($"{path}: malformed tokenizer.json ({e.Message})");
        }
    }

    private static (bool ByteLevel, string Pattern) ReadPreTokenizer(JsonElement root, string path)
    {
        if (!root.TryGetProperty("pre_tokenizer", out var pre) || pre.ValueKind != JsonValueKind.Object) return (false, "");
        var steps = pre.GetProperty("type").GetString() == "Sequence"
            ? pre.GetProperty("pretokenizers").EnumerateArray().ToList()
            : [pre];
        bool byteLevel = false, useRegex = false;
        string? split = null;
        foreach (var step in steps)
        {
            switch (step.GetProperty("type").GetString())
            {
                case "ByteLevel":
                    byteLevel = true;
                    useRegex = !step.TryGetProperty("use_regex", out var r) || r.GetBoolean();
                    break;
                case "Split" when step.TryGetProperty("pattern", out var p) && p.TryGetProperty("Regex", out var regex):
                    split = regex.GetString();
                    break;
            }
        }
        return (byteLevel, split ?? (useRegex ? Gpt2Pattern : @"[\s\S]+"));
    }

    private static JsonElement Required(JsonElement element, string name, string path)
        => element.TryGetProperty(name, out var value) ? value : throw new CoinUserException($"{path}: missing '{name}'");
}
