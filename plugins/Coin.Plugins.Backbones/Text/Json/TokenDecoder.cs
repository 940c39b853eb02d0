using System.Text;
using System.Text.Json;
using Coin.Abstractions.Plugins;

namespace Coin.Plugins.Backbones.Text.Json;

/// <summary>The decoder of a tokenizer.json (ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, in a
/// Sequence), applied to the token strings as Hugging Face's tokenizers does.</summary>
internal sealed class TokenDecoder
{
    private readonly List<Func<List<string>, List<string>>> steps = [];

    public TokenDecoder(JsonElement root, string path)
    {
        if (root.TryGetProperty("decoder", out var decoder) && decoder.ValueKind == JsonValueKind.Object) Add(decoder, path);
    }

    public string Decode(IEnumerable<string> tokens)
    {
        var list = tokens.ToList();
        // Without a decoder, tokenizers joins the tokens with spaces.
        if (steps.Count == 0) return string.Join(' ', list);
        foreach (var step in steps) list = step(list);
        return string.Concat(list);
    }

    private void Add(JsonElement step, string path)
    {
        string type = step.GetProperty("type").GetString() ?? "";
        switch (type)
        {
            case "Sequence":
                foreach (var inner in step.GetProperty("decoders").EnumerateArray()) Add(inner, path);
                break;
            case "ByteLevel":
                steps.Add(tokens => [Utf8(string.Concat(tokens).SelectMany(c => ByteLevelAlphabet.ByteOf.TryGetValue(c, out byte b) ? [b] : Encoding.UTF8.GetBytes(c.ToString())).ToArray())]);
                break;
            case "Replace":
            {
                string from = step.GetProperty("pattern").TryGetProperty("String", out var s) ? s.GetString() ?? ""
                    : throw new CoinUserException($"{path}: a Replace decoder with a regex pattern is not implemented");
                string to = step.GetProperty("content").GetString() ?? "";
                steps.Add(tokens => tokens.Select(t => t.Replace(from, to, StringComparison.Ordinal)).ToList());
                break;
            }
            case "ByteFallback":
                steps.Add(ByteFallback);
                break;
            case "Fuse":
                steps.Add(tokens => [string.Concat(tokens)]);
                break;
            case "Strip":
            {
                string content = step.GetProperty("content").GetString() ?? " ";
                int start = step.GetProperty("start").GetInt32(), stop = step.GetProperty("stop").GetInt32();
                steps.Add(tokens => tokens.Select(t => Strip(t, content, start, stop)).ToList());
                break;
            }
            case "Metaspace":
            {
                string replacement = step.TryGetProperty("replacement", out var r) ? r.GetString() ?? "▁" : "▁";
                string scheme = step.TryGetProperty("prepend_scheme", out var p) ? p.GetString() ?? "always" : "always";
                steps.Add(tokens => tokens.Select((t, i) =>
                {
                    string text = t.Replace(replacement, " ", StringComparison.Ordinal);
                    return i == 0 && scheme != "never" && text.StartsWith(' ') ? text[1..] : text;
                }).ToList());
                break;
            }
            default:
                throw new CoinUserException($"{path}: decoder type '{type}' is not implemented; implemented: Sequence, ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace");
        }
    }

    /// <summary>Runs of <c>&lt;0xNN&gt;</c> tokens become the text their bytes spell, or one U+FFFD per byte when they
    /// are not valid UTF-8.</summary>
    private static List<string> ByteFallback(List<string> tokens)
    {
        var result = new List<string>();
        var bytes = new List<byte>();
        void Flush()
        {
            if (bytes.Count == 0) return;
            result.Add(TokenText.Utf8OrReplacement(bytes));
            bytes.Clear();
        }
        foreach (string token in tokens)
        {
            if (TokenText.FallbackByte(token) is { } b) bytes.Add(b);
            else
            {
                Flush();
                result.Add(token);
            }
        }
        Flush();
        return result;
    }

    private static string Strip(string token, string content, int start, int stop)
    {
        int from = 0, to = token.Length;
        for (int i = 0; i < start && token.AsSpan(from).StartsWith(content, StringComparison.Ordinal); i++) from += content.Length;
        for (int i = 0; i < stop && to - content.Length >= from && token.AsSpan(from, to - from).EndsWith(content, StringComparison.Ordinal); i++) to -= content.Length;
        return token[from..to];
    }

    private static string Utf8(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
