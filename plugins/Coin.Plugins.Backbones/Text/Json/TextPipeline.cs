using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Coin.Abstractions.Plugins;

namespace Coin.Plugins.Backbones.Text.Json;

/// <summary>The normalizer and pre-tokenizer of a tokenizer.json, as Hugging Face's tokenizers applies them to the
/// text between added tokens: normalizers in order (NFC/NFKC/NFD/NFKD, Prepend, Replace, Lowercase), then the
/// pre-tokenizers (Split, ByteLevel, Metaspace), each splitting every piece further. Any other step is refused when
/// the file is loaded, naming it.</summary>
internal sealed class TextPipeline
{
    private readonly List<Func<string, string>> normalizers = [];
    private readonly List<Func<List<string>, bool, List<string>>> preTokenizers = [];

    public bool ByteLevel { get; private set; }
    public string? MetaspaceReplacement { get; private set; }
    public string MetaspacePrependScheme { get; private set; } = "always";

    public TextPipeline(JsonElement root, string path)
    {
        if (root.TryGetProperty("normalizer", out var normalizer) && normalizer.ValueKind == JsonValueKind.Object) AddNormalizer(normalizer, path);
        if (root.TryGetProperty("pre_tokenizer", out var pre) && pre.ValueKind == JsonValueKind.Object) AddPreTokenizer(pre, path);
    }

    public string Normalize(string text)
    {
        foreach (var step in normalizers) text = step(text);
        return text;
    }

    /// <param name="first">Whether the text starts the input (Metaspace's prepend_scheme "first").</param>
    public List<string> PreTokenize(string text, bool first)
    {
        var pieces = new List<string> { text };
        foreach (var step in preTokenizers) pieces = step(pieces, first);
        return pieces;
    }

    private void AddNormalizer(JsonElement step, string path)
    {
        string type = step.GetProperty("type").GetString() ?? "";
        switch (type)
        {
            case "Sequence":
                foreach (var inner in step.GetProperty("normalizers").EnumerateArray()) AddNormalizer(inner, path);
                break;
            case "NFC": case "NFKC": case "NFD": case "NFKD":
                var form = type switch { "NFC" => NormalizationForm.FormC, "NFKC" => NormalizationForm.FormKC, "NFD" => NormalizationForm.FormD, _ => NormalizationForm.FormKD };
                if (!"e\u0301".Normalize(NormalizationForm.FormC).Equals("\u00e9", StringComparison.Ordinal))
                    throw new CoinUserException($"{path}: normalizer {type} needs Unicode normalization, which this process lacks (globalization-invariant without ICU)");
                normalizers.Add(text => text.Normalize(form));
                break;
            case "Prepend":
                string prepend = step.GetProperty("prepend").GetString() ?? "";
                normalizers.Add(text => text.Length == 0 ? text : prepend + text);
                break;
            case "Replace":
                var pattern = step.GetProperty("pattern");
                string content = step.GetProperty("content").GetString() ?? "";
                if (pattern.TryGetProperty("String", out var literal))
                {
                    string from = literal.GetString() ?? "";
                    normalizers.Add(text => from.Length == 0 ? text : text.Replace(from, content, StringComparison.Ordinal));
                }
                else
                {
                    var regex = new Regex(pattern.GetProperty("Regex").GetString()!, RegexOptions.CultureInvariant);
                    normalizers.Add(text => regex.Replace(text, content));
                }
                break;
            case "Lowercase":
                normalizers.Add(text => text.ToLowerInvariant());
                break;
            default:
                throw new CoinUserException($"{path}: normalizer type '{type}' is not implemented; implemented: Sequence, NFC, NFKC, NFD, NFKD, Prepend, Replace, Lowercase");
        }
    }

    private void AddPreTokenizer(JsonElement step, string path)
    {
        string type = step.GetProperty("type").GetString() ?? "";
        switch (type)
        {
            case "Sequence":
                foreach (var inner in step.GetProperty("pretokenizers").EnumerateArray()) AddPreTokenizer(inner, path);
                break;
            case "Split":
            {
                var pattern = step.GetProperty("pattern");
                var regex = pattern.TryGetProperty("Regex", out var r)
                    ? new Regex(r.GetString()!, RegexOptions.CultureInvariant)
                    : new Regex(Regex.Escape(pattern.GetProperty("String").GetString()!), RegexOptions.CultureInvariant);
                string behavior = step.TryGetProperty("behavior", out var b) ? b.GetString() ?? "" : "Isolated";
                bool invert = step.TryGetProperty("invert", out var inv) && inv.GetBoolean();
                if (invert || behavior is not ("Isolated" or "Removed"))
                    throw new CoinUserException($"{path}: Split with behavior '{behavior}'{(invert ? " inverted" : "")} is not implemented; implemented: Isolated, Removed");
                preTokenizers.Add((pieces, _) => pieces.SelectMany(p => Split(regex, p, keepMatches: behavior == "Isolated")).ToList());
                break;
            }
            case "ByteLevel":
            {
                ByteLevel = true;
                bool prefix = step.TryGetProperty("add_prefix_space", out var a) && a.GetBoolean();
                bool useRegex = !step.TryGetProperty("use_regex", out var u) || u.GetBoolean();
                var gpt2 = new Regex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant);
                preTokenizers.Add((pieces, _) =>
                {
                    var result = new List<string>();
                    foreach (string piece in pieces)
                    {
                        string p = prefix && !piece.StartsWith(' ') ? " " + piece : piece;
                        foreach (string part in useRegex ? Split(gpt2, p, keepMatches: true) : [p]) result.Add(ByteLevelAlphabet.Encode(part));
                    }
                    return result;
                });
                break;
            }
            case "Metaspace":
            {
                string replacement = step.TryGetProperty("replacement", out var rep) ? rep.GetString() ?? "▁" : "▁";
                string scheme = step.TryGetProperty("prepend_scheme", out var s) ? s.GetString() ?? "always"
                    : step.TryGetProperty("add_prefix_space", out var ap) && !ap.GetBoolean() ? "never" : "always";
                bool split = !step.TryGetProperty("split", out var sp) || sp.GetBoolean();
                if (scheme is not ("always" or "first" or "never")) throw new CoinUserException($"{path}: Metaspace prepend_scheme '{scheme}' is not one of always, first, never");
                MetaspaceReplacement = replacement;
                MetaspacePrependScheme = scheme;
                preTokenizers.Add((pieces, first) =>
                {
                    var result = new List<string>();
                    for (int i = 0; i < pieces.Count; i++)
                    {
                        string p = pieces[i].Replace(" ", replacement, StringComparison.Ordinal);
                        bool prepend = scheme == "always" || scheme == "first" && first && i == 0;
                        if (prepend && !p.StartsWith(replacement, StringComparison.Ordinal)) p = replacement + p;
                        if (!split) { result.Add(p); continue; }
                        // Each replacement starts a new piece (behaviour MergedWithNext).
                        int start = 0;
                        for (int at = p.IndexOf(replacement, 1, StringComparison.Ordinal); at > 0; at = p.IndexOf(replacement, at + replacement.Length, StringComparison.Ordinal))
                        {
                            result.Add(p[start..at]);
                            start = at;
                        }
                        if (start < p.Length) result.Add(p[start..]);
                    }
                    return result;
                });
                break;
            }
            default:
                throw new CoinUserException($"{path}: pre_tokenizer type '{type}' is not implemented; implemented: Sequence, Split, ByteLevel, Metaspace");
        }
    }

    /// <summary>The gaps between the matches, and the matches themselves unless they are delimiters to remove, in order.</summary>
    private static IEnumerable<string> Split(Regex regex, string text, bool keepMatches)
    {
        int at = 0;
        foreach (Match match in regex.Matches(text))
        {
            if (match.Length == 0) continue;
            if (match.Index > at) yield return text[at..match.Index];
            if (keepMatches) yield return match.Value;
            at = match.Index + match.Length;
        }
        if (at < text.Length) yield return text[at..];
    }
}
