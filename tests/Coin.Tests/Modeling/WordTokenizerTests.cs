using Coin.Plugins.Backbones.Text;

namespace Coin.Tests.Modeling;

/// <summary>The presets' word tokenizer: listed words are one id with or without a leading space and capital,
/// everything else falls back to bytes, and every text round-trips.</summary>
public class WordTokenizerTests
{
    private static readonly WordTokenizer Tokenizer = new(["red", "is", "unanswerable"]);
    private const int FirstWord = 262; // 256 bytes + 6 special tokens

    [Test]
    public void Listed_words_are_single_ids_in_four_spellings()
    {
        Assert.That(Tokenizer.VocabSize, Is.EqualTo(FirstWord + 12));
        Assert.That(Tokenizer.Encode("red"), Is.EqualTo(new[] { FirstWord }));
        Assert.That(Tokenizer.Encode(" red"), Is.EqualTo(new[] { FirstWord + 1 }));
        Assert.That(Tokenizer.Encode("Red"), Is.EqualTo(new[] { FirstWord + 2 }));
        Assert.That(Tokenizer.Encode(" Red"), Is.EqualTo(new[] { FirstWord + 3 }));
        Assert.That(Tokenizer.Encode("Is red"), Is.EqualTo(new[] { FirstWord + 6, FirstWord + 1 }));
        Assert.That(Tokenizer.Encode("unanswerable"), Has.Count.EqualTo(1));
    }

    [Test]
    public void Other_text_falls_back_to_bytes()
    {
        // "reddish" is not "red" + "dish": a word is matched whole or spelled in bytes.
        Assert.That(Tokenizer.Encode("reddish"), Is.EqualTo("reddish".Select(c => (int)c).ToArray()));
        Assert.That(Tokenizer.Encode("RED"), Is.EqualTo("RED".Select(c => (int)c).ToArray()));
        Assert.That(Tokenizer.Encode("red?"), Is.EqualTo(new[] { FirstWord, '?' }));
    }

    [TestCase("What is the color?\nA. red\nB. Unanswerable\n<image>\n")]
    [TestCase("[0.12, 0.5, 0.98, 1.00]  red  ")]
    [TestCase("émigré 🙂 is red</s>")]
    [TestCase("")]
    public void Every_text_round_trips(string text)
    {
        var ids = Tokenizer.Encode(text);
        string withoutSpecials = text.Replace("<image>", "").Replace("</s>", "");
        Assert.That(Tokenizer.Decode(ids), Is.EqualTo(withoutSpecials));
    }

    [Test]
    public void Special_tokens_keep_the_byte_tokenizers_ids()
    {
        var bytes = new ByteTokenizer();
        Assert.That(Tokenizer.SpecialTokenId("<image>"), Is.EqualTo(bytes.SpecialTokenId("<image>")));
        Assert.That(Tokenizer.EosId, Is.EqualTo(bytes.EosId));
        Assert.That(Tokenizer.Encode("red</s>"), Is.EqualTo(new[] { FirstWord, bytes.EosId }));
    }

    [Test]
    public void A_placeholder_outside_the_vocabulary_gets_an_id_past_the_words_and_its_own_are_kept()
    {
        var tokenizer = new ByteTokenizer();
        var ids = tokenizer.AddPlaceholders(["<image>", "<video>"]);
        Assert.That(ids["<image>"], Is.EqualTo(259), "the vocabulary's own");
        Assert.That(ids["<video>"], Is.EqualTo(tokenizer.VocabSize), "past the embedding table");
        Assert.That(tokenizer.Encode("a<video>b"), Is.EqualTo(new[] { 'a', tokenizer.VocabSize, 'b' }));
        Assert.That(tokenizer.Decode(tokenizer.Encode("a<video>b")), Is.EqualTo("ab"));
    }

    [Test]
    public void The_shipped_vocabulary_covers_the_instruction_templates()
    {
        var shipped = new WordTokenizer();
        const string instruction = "Answer the question using a single word or phrase.";
        // 9 words and the final period: ten ids instead of 51 bytes.
        Assert.That(shipped.Encode(instruction), Has.Count.EqualTo(10));
        Assert.That(shipped.Decode(shipped.Encode(instruction)), Is.EqualTo(instruction));
    }
}
