using System.Text;

namespace Coin.Plugins.Backbones.Text.Json;

/// <summary>What the BPE tokenizers (tokenizer.json and SentencePiece's) share: splitting added tokens out of the raw
/// text, and byte-fallback pieces (<c>&lt;0xNN&gt;</c>) back to text.</summary>
public static class TokenText
{
    /// <summary>The text as runs of plain text and the added tokens found in it, in order; at one position the longest
    /// token wins (leftmost-longest, as tokenizers matches them).</summary>
    public static IEnumerable<(string Text, string? Token)> SplitAddedTokens(string text, IReadOnlyCollection<string> tokens)
    {
        var ordered = tokens.OrderByDescending(t => t.Length).ToArray();
        int start = 0;
        while (start <= text.Length)
        {
            int at = text.Length;
            string? found = null;
            foreach (string token in ordered)
            {
                int index = text.IndexOf(token, start, StringComparison.Ordinal);
                if (index >= 0 && index < at) (at, found) = (index, token);
            }
            if (at > start || found is not null) yield return (text[start..at], found);
            if (found is null) yield break;
            start = at + found.Length;
        }
    }

    /// <summary>The byte a <c>&lt;0xNN&gt;</c> piece stands for, or null for any other piece.</summary>
    public static byte? FallbackByte(string piece)
        => piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
           && byte.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out byte b) ? b : null;

    /// <summary>Bytes as UTF-8 text, or one U+FFFD per byte when they are not valid UTF-8 (both decoders do this).</summary>
    public static string Utf8OrReplacement(IReadOnlyCollection<byte> bytes)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            return new string('\uFFFD', bytes.Count);
        }
    }
}
