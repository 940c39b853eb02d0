using System.Text.Json.Nodes;
using Coin.Abstractions.Plugins;
using Coin.Plugins.Backbones.Text;
using Coin.Tests.Support;

namespace Coin.Tests.Modeling;

/// <summary>A byte-level BPE tokenizer.json whose ids follow by hand from its vocabulary and merges.</summary>
public class HuggingFaceTokenizerTests
{
    private static string WriteFixture()
    {
        string[] tokens = ["h", "e", "l", "o", "Ġ", "w", "r", "d", "he", "ll", "hell", "hello", "Ġw", "or", "Ġwor", "Ġworl", "Ġworld"];
        var vocab = new JsonObject();
        for (int i = 0; i < tokens.Length; i++) vocab[tokens[i]] = i;
        var json = new JsonObject
        {
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["vocab"] = vocab,
                ["merges"] = new JsonArray("h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "Ġwor l", "Ġworl d"),
            },
            ["added_tokens"] = new JsonArray(new JsonObject { ["id"] = 17, ["content"] = "<|endoftext|>", ["special"] = true }),
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = @" ?\p{L}+|\s+" } },
                    new JsonObject { ["type"] = "ByteLevel", ["use_regex"] = false }),
            },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
        };
        string path = Path.Combine(TestPaths.NewTemporaryDirectory("tokenizer"), "tokenizer.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    [TestCase("hello world", new[] { 11, 16 })]
    [TestCase("held", new[] { 8, 2, 7 })]
    [TestCase("world", new[] { 5, 13, 2, 7 })]
    [TestCase("hello<|endoftext|>", new[] { 11, 17 })]
    public void EncodesToTheIdsItsMergesImply(string text, int[] expected)
    {
        var tokenizer = HuggingFaceTokenizer.Load(WriteFixture());
        Assert.That(tokenizer.Encode(text), Is.EqualTo(expected));
    }

    [Test]
    public void DecodesBackLeavingOutSpecialTokens()
    {
        var tokenizer = HuggingFaceTokenizer.Load(WriteFixture());
        Assert.That(tokenizer.Decode([11, 16, 17]), Is.EqualTo("hello world"));
        Assert.That(tokenizer.EosId, Is.EqualTo(17));
        Assert.That(tokenizer.VocabSize, Is.EqualTo(18));
    }

    [Test]
    public void A_placeholder_the_host_adds_gets_a_virtual_id_past_the_vocabulary()
    {
        var tokenizer = HuggingFaceTokenizer.Load(WriteFixture());
        Assert.That(tokenizer.SpecialTokenId("<image>"), Is.Null, "the tokenizer knows no modality of its own");
        var ids = tokenizer.AddPlaceholders(["<image>", "<video>"]);
        Assert.That(ids, Is.EqualTo(new Dictionary<string, int> { ["<image>"] = 18, ["<video>"] = 19 }));
        Assert.That(tokenizer.AddPlaceholders(["<video>"])["<video>"], Is.EqualTo(19), "adding again keeps the id");
        Assert.That(tokenizer.SpecialTokenId("<image>"), Is.EqualTo(18));
        Assert.That(tokenizer.Encode("<image>hello")[0], Is.EqualTo(18));
        Assert.That(tokenizer.Encode("<image>hello").Skip(1), Is.EqualTo(new[] { 11 }));
        Assert.That(tokenizer.Encode("hello<video>"), Is.EqualTo(new[] { 11, 19 }));
        Assert.That(tokenizer.VocabSize, Is.EqualTo(18), "virtual ids are past the embedding table");
    }

    [Test]
    public void ASentencePieceModelIsRefusedWithAReason()
    {
        string path = Path.Combine(TestPaths.NewTemporaryDirectory("tokenizer"), "tokenizer.json");
        File.WriteAllText(path, """{"model": {"type": "Unigram", "vocab": []}}""");
        var error = Assert.Throws<CoinUserException>(() => HuggingFaceTokenizer.Load(path));
        Assert.That(error!.Message, Does.Contain("model.type is 'Unigram'; only BPE tokenizers are implemented"));
    }
}
