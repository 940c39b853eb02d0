using System.Reflection;
using Coin.Abstractions.Components;

namespace Coin.Plugins.Backbones.Text;

/// <summary>The tokenizers a preset backbone takes by name (<c>tokenizer</c>); a model folder (<c>path</c>) brings
/// its own.</summary>
internal static class PresetTokenizers
{
    public static readonly IReadOnlyList<string> Names = ["words", "bytes", "english-bpe"];

    private const string EnglishBpeResource = "Coin.Plugins.Backbones.Text.english-bpe.model";

    public static ITokenizer Create(string name) => name switch
    {
        "bytes" => new ByteTokenizer(),
        "words" => new WordTokenizer(),
        // Learnt from general English by make_english_bpe.py beside it; built in, so that its ids travel with the
        // plugin's version (a cached base model's key names that version).
        "english-bpe" => SentencePieceTokenizer.Parse(ReadResource(EnglishBpeResource), "the built-in tokenizer english-bpe"),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not a preset tokenizer"),
    };

    private static byte[] ReadResource(string name)
    {
        using var stream = typeof(PresetTokenizers).Assembly.GetManifestResourceStream(name)
                           ?? throw new InvalidOperationException($"resource {name} is missing from {typeof(PresetTokenizers).Assembly.GetName().Name}");
        using var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        return bytes.ToArray();
    }
}
