using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace Coin.Plugins.Backbones.Text;

/// <summary>The byte tokenizer plus one id per frequent English word (with and without a leading space, lowercase
/// and capitalised). Questions and answers become several times shorter than in bytes — "unanswerable" is one id,
/// not twelve — which is what lets the tiny CPU presets learn a task in a few hundred steps, much as a real LLM's
/// BPE vocabulary does. Any other text falls back to bytes, so every string still round-trips.</summary>
internal sealed partial class WordTokenizer : ByteTokenizer
{
    private const string VocabularyResource = "Coin.Plugins.Backbones.Text.common-words.txt";
    private static readonly Lazy<string[]> DefaultWords = new(LoadDefaultWords);

    private readonly string[] pieces;
    private readonly Dictionary<string, int> idOfPiece;
    private readonly int firstWord;

    public WordTokenizer() : this(DefaultWords.Value) { }

    public WordTokenizer(IReadOnlyList<string> words)
    {
        firstWord = base.VocabSize;
        pieces = words.SelectMany(w => new[] { w, " " + w, Capitalise(w), " " + Capitalise(w) }).Distinct(StringComparer.Ordinal).ToArray();
        idOfPiece = pieces.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => firstWord + x.i, StringComparer.Ordinal);
    }

    public override int VocabSize => firstWord + pieces.Length;

    protected override void EncodeText(string text, List<int> ids)
    {
        foreach (Match match in Piece().Matches(text))
        {
            if (idOfPiece.TryGetValue(match.Value, out int id)) ids.Add(id);
            else base.EncodeText(match.Value, ids);
        }
    }

    protected override void AppendBytes(int id, List<byte> bytes)
    {
        if (id >= firstWord && id < VocabSize) bytes.AddRange(Encoding.UTF8.GetBytes(pieces[id - firstWord]));
        else base.AppendBytes(id, bytes);
    }

    private static string Capitalise(string word) => char.ToUpperInvariant(word[0]) + word[1..];

    /// <summary>A run of ASCII letters with an optional leading space, a run of other non-space characters (kept
    /// together so surrogate pairs stay whole), or a lone space.</summary>
    [GeneratedRegex("( ?[A-Za-z]+)|[^A-Za-z ]+| ", RegexOptions.CultureInvariant)]
    private static partial Regex Piece();

    private static string[] LoadDefaultWords()
    {
        using var stream = typeof(WordTokenizer).Assembly.GetManifestResourceStream(VocabularyResource)
                           ?? throw new InvalidOperationException($"resource {VocabularyResource} is missing from {typeof(WordTokenizer).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
    }
}
