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

    /// <summary>A run of byte pieces as SentencePiece decodes it (<c>ProcessBytePieces</c> with <c>DecodeUTF8</c>): each
    /// byte that starts a valid UTF-8 character gives that character, and every other byte one U+FFFD, so the valid
    /// characters between invalid bytes are kept. Valid: the shortest form of a code point below U+D800 or from U+E000
    /// to U+10FFFF (an encoded U+FFFD itself included).</summary>
    public static string SentencePieceBytes(IReadOnlyList<byte> bytes)
    {
        var text = new StringBuilder(bytes.Count);
        var utf8 = bytes as byte[] ?? bytes.ToArray();
        for (int i = 0; i < utf8.Length;)
        {
            int length = ValidCharacterLength(utf8, i);
            if (length == 0)
            {
                text.Append('\uFFFD');
                i++;
                continue;
            }
            text.Append(Encoding.UTF8.GetString(utf8, i, length));
            i += length;
        }
        return text.ToString();
    }

    /// <summary>The length of the valid UTF-8 character at <paramref name="i"/>, or 0 when none starts there.</summary>
    private static int ValidCharacterLength(byte[] b, int i)
    {
        static bool Trail(byte x) => (x & 0xC0) == 0x80;
        static bool Scalar(int c) => c < 0xD800 || c >= 0xE000 && c <= 0x10FFFF;
        int left = b.Length - i;
        byte lead = b[i];
        if (lead < 0x80) return 1;
        if (left >= 2 && (lead & 0xE0) == 0xC0)
            return Trail(b[i + 1]) && ((lead & 0x1F) << 6 | b[i + 1] & 0x3F) is var c2 && c2 >= 0x80 && Scalar(c2) ? 2 : 0;
        if (left >= 3 && (lead & 0xF0) == 0xE0)
            return Trail(b[i + 1]) && Trail(b[i + 2]) && ((lead & 0x0F) << 12 | (b[i + 1] & 0x3F) << 6 | b[i + 2] & 0x3F) is var c3 && c3 >= 0x800 && Scalar(c3) ? 3 : 0;
        if (left >= 4 && (lead & 0xF8) == 0xF0)
            return Trail(b[i + 1]) && Trail(b[i + 2]) && Trail(b[i + 3])
                   && ((lead & 0x07) << 18 | (b[i + 1] & 0x3F) << 12 | (b[i + 2] & 0x3F) << 6 | b[i + 3] & 0x3F) is var c4 && c4 >= 0x10000 && Scalar(c4) ? 4 : 0;
        return 0;
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
