using System.Text;

namespace Coin.Plugins.Backbones.Text.Json;

/// <summary>What the BPE tokenizers (tokenizer.json and SentencePiece's) share: splitting added tokens out of the raw
/// text, and byte-fallback pieces (<c>&lt;0xNN&gt;</c>) back to text.</summary>
internal static class TokenText
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

    /// <summary>A run of byte pieces as SentencePiece decodes it (<c>ProcessBytePieces</c> with <c>DecodeUTF8</c>): each
    /// byte that starts a valid UTF-8 character gives that character, and every other byte one U+FFFD, so the valid
    /// characters between invalid bytes are kept. Valid: the shortest form of a code point below U+D800 or from U+E000
    /// to U+10FFFF (an encoded U+FFFD itself included).</summary>
    public static string SentencePieceBytes(IReadOnlyList<byte> bytes)
    {
        var text = new StringBuilder(bytes.Count);
        ReadOnlySpan<byte> utf8 = bytes as byte[] ?? bytes.ToArray();
        while (!utf8.IsEmpty)
        {
            // Rune's rules are SentencePiece's DecodeUTF8: shortest form, no surrogate, at most U+10FFFF. Where they
            // fail, SentencePiece consumes one byte, whatever the length of the invalid sequence.
            if (System.Text.Rune.DecodeFromUtf8(utf8, out var rune, out int length) == System.Buffers.OperationStatus.Done)
            {
                text.Append(rune.ToString());
                utf8 = utf8[length..];
            }
            else
            {
                text.Append('\uFFFD');
                utf8 = utf8[1..];
            }
        }
        return text.ToString();
    }

    /// <summary>Bytes as UTF-8 text, or one U+FFFD per byte when they are not valid UTF-8, as Hugging Face tokenizers'
    /// ByteFallback decoder does (SentencePiece's own decoder: <see cref="SentencePieceBytes"/>).</summary>
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
