using System.Text;
using Coin.Abstractions.Components;

namespace Coin.Plugins.Backbones.Text;

/// <summary>UTF-8 bytes as ids 0..255 plus a few special tokens. Needs no vocabulary file and round-trips any
/// text, which makes it the tokenizer of the tiny CPU presets.</summary>
public sealed class ByteTokenizer : ITokenizer
{
    private static readonly string[] Specials = ["<pad>", "<s>", "</s>", "<image>", "<audio>", "<unk>"];
    private const int FirstSpecial = 256;

    public int VocabSize => FirstSpecial + Specials.Length;
    public int PadId => FirstSpecial;
    public int BosId => FirstSpecial + 1;
    public int EosId => FirstSpecial + 2;

    public int? SpecialTokenId(string token)
    {
        int index = Array.IndexOf(Specials, token);
        return index < 0 ? null : FirstSpecial + index;
    }

    public IReadOnlyList<int> Encode(string text)
    {
        var ids = new List<int>(text.Length + 4);
        int start = 0;
        while (start < text.Length)
        {
            var (at, special) = NextSpecial(text, start);
            foreach (byte b in Encoding.UTF8.GetBytes(text[start..at])) ids.Add(b);
            if (special < 0) break;
            ids.Add(FirstSpecial + special);
            start = at + Specials[special].Length;
        }
        return ids;
    }

    public string Decode(IEnumerable<int> ids)
    {
        var bytes = ids.Where(id => id is >= 0 and < FirstSpecial).Select(id => (byte)id).ToArray();
        return Encoding.UTF8.GetString(bytes);
    }

    private static (int At, int Special) NextSpecial(string text, int start)
    {
        int bestAt = text.Length, best = -1;
        for (int s = 0; s < Specials.Length; s++)
        {
            int at = text.IndexOf(Specials[s], start, StringComparison.Ordinal);
            if (at >= 0 && at < bestAt) (bestAt, best) = (at, s);
        }
        return (bestAt, best);
    }
}
