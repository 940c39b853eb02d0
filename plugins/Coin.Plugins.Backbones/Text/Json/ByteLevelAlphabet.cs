namespace Coin.Plugins.Backbones.Text.Json;

/// <summary>GPT-2's table from bytes to printable characters, which byte-level BPE vocabularies are written in
/// (space is <c>Ġ</c>, newline <c>Ċ</c>).</summary>
internal static class ByteLevelAlphabet
{
    public static readonly char[] CharOf = Build();
    public static readonly IReadOnlyDictionary<char, byte> ByteOf = CharOf.Select((c, b) => (c, (byte)b)).ToDictionary(p => p.c, p => p.Item2);

    private static char[] Build()
    {
        var bytes = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range('¡', '¬' - '¡' + 1)).Concat(Enumerable.Range('®', 'ÿ' - '®' + 1)).ToList();
        var chars = new char[256];
        foreach (int b in bytes) chars[b] = (char)b;
        int extra = 0;
        for (int b = 0; b < 256; b++)
            if (!bytes.Contains(b)) chars[b] = (char)(256 + extra++);
        return chars;
    }

    public static string Encode(string text) => new(System.Text.Encoding.UTF8.GetBytes(text).Select(b => CharOf[b]).ToArray());
}
