using System.Text;
using Coin.Abstractions.Components;

namespace Coin.Plugins.Backbones.Text;

/// <summary>UTF-8 bytes as ids 0..255 plus a few special tokens. Needs no vocabulary file and round-trips any
/// text. <see cref="WordTokenizer"/> adds whole-word ids on top of these.</summary>
/// <remarks>The vocabulary has <c>&lt;image&gt;</c> and <c>&lt;audio&gt;</c> among its specials (the built-in models were
/// trained with those ids); any other placeholder the host adds gets an id past the vocabulary.</remarks>
internal class ByteTokenizer : ITokenizer
{
    private static readonly string[] Specials = ["<pad>", "<s>", "</s>", "<image>", "<audio>", "<unk>"];
    private const int FirstSpecial = 256;
    /// <summary>The specials, then the placeholders the vocabulary lacks (ids from <see cref="VocabSize"/> on).</summary>
    private readonly List<(string Token, int Id)> tokens = Specials.Select((t, i) => (t, FirstSpecial + i)).ToList();

    public virtual int VocabSize => FirstSpecial + Specials.Length;
    public int PadId => FirstSpecial;
    public int BosId => FirstSpecial + 1;
    public int EosId => FirstSpecial + 2;

    public int? SpecialTokenId(string token)
    {
        int index = tokens.FindIndex(t => t.Token == token);
        return index < 0 ? null : tokens[index].Id;
    }

    public IReadOnlyDictionary<string, int> AddPlaceholders(IReadOnlyList<string> placeholders)
    {
        foreach (string placeholder in placeholders.Where(p => SpecialTokenId(p) is null))
            tokens.Add((placeholder, VocabSize + tokens.Count - Specials.Length));
        return placeholders.Distinct().ToDictionary(p => p, p => SpecialTokenId(p)!.Value);
    }

    public IReadOnlyList<int> Encode(string text)
    {
        var ids = new List<int>(text.Length + 4);
        int start = 0;
        while (start < text.Length)
        {
            var (at, special) = NextSpecial(text, start);
            EncodeText(text[start..at], ids);
            if (special < 0) break;
            ids.Add(tokens[special].Id);
            start = at + tokens[special].Token.Length;
        }
        return ids;
    }

    public string Decode(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        foreach (int id in ids) AppendBytes(id, bytes);
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>Ids of text that holds no special token.</summary>
    protected virtual void EncodeText(string text, List<int> ids)
    {
        foreach (byte b in Encoding.UTF8.GetBytes(text)) ids.Add(b);
    }

    /// <summary>The UTF-8 bytes an id stands for; special tokens stand for none.</summary>
    protected virtual void AppendBytes(int id, List<byte> bytes)
    {
        if (id is >= 0 and < FirstSpecial) bytes.Add((byte)id);
    }

    private (int At, int Special) NextSpecial(string text, int start)
    {
        int bestAt = text.Length, best = -1;
        for (int s = 0; s < tokens.Count; s++)
        {
            int at = text.IndexOf(tokens[s].Token, start, StringComparison.Ordinal);
            if (at >= 0 && at < bestAt) (bestAt, best) = (at, s);
        }
        return (bestAt, best);
    }
}
