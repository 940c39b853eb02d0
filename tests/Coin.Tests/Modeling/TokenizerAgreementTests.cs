using System.Text.Json.Nodes;
using Coin.Abstractions.Plugins;
using Coin.Plugins.Backbones.Text;
using Coin.Tests.Support;

namespace Coin.Tests.Modeling;

/// <summary>Coin's tokenizer.json reader against Hugging Face's tokenizers library (the ids and decoded texts in
/// tests/data/tokenizers/*/expected.json were produced by its npm package, see make_expected.js) on 240 strings for
/// each family: byte-level (GPT-2 / Qwen2, with NFC), SentencePiece-style BPE (LLaMA-2 / Vicuna / Mistral, with
/// byte fallback) and LLaMA-3 style (ignore_merges).</summary>
[Parallelizable(ParallelScope.All)]
public class TokenizerAgreementTests
{
    private static string Data(params string[] parts) => Path.Combine([TestPaths.Root, "tests", "data", "tokenizers", .. parts]);

    private static readonly string[] Strings = JsonNode.Parse(File.ReadAllText(Data("strings.json")))!.AsArray().Select(s => (string)s!).ToArray();

    [TestCase("byte-level")]
    [TestCase("sentencepiece")]
    [TestCase("llama3")]
    public void Every_string_gets_the_ids_and_the_text_back_that_tokenizers_gives(string family)
    {
        Assert.That(Strings, Has.Length.GreaterThanOrEqualTo(200));
        var tokenizer = HuggingFaceTokenizer.Load(Data(family, "tokenizer.json"), eosToken: family == "sentencepiece" ? "</s>" : "<|endoftext|>");
        var expected = JsonNode.Parse(File.ReadAllText(Data(family, "expected.json")))!;
        var ids = expected["ids"]!.AsArray();
        var decoded = expected["decoded"]!.AsArray();
        var wrong = new List<string>();
        int compared = 0;
        for (int i = 0; i < Strings.Length; i++)
        {
            // Coin gives a modality placeholder that the vocabulary lacks an id past its end, by design (features
            // replace it); tokenizers spells it out. Such strings are not compared.
            if (Strings[i].Contains("<image>", StringComparison.Ordinal)) continue;
            compared++;
            var want = ids[i]!.AsArray().Select(v => (int)v!).ToArray();
            var got = tokenizer.Encode(Strings[i]).ToArray();
            if (!got.SequenceEqual(want)) wrong.Add($"{System.Text.Json.JsonSerializer.Serialize(Strings[i])}: [{string.Join(",", got)}], tokenizers [{string.Join(",", want)}]");
            else if (tokenizer.Decode(got) != (string)decoded[i]!)
                wrong.Add($"decode {System.Text.Json.JsonSerializer.Serialize(Strings[i])}: {System.Text.Json.JsonSerializer.Serialize(tokenizer.Decode(got))}, tokenizers {System.Text.Json.JsonSerializer.Serialize((string)decoded[i]!)}");
        }
        Assert.That(compared, Is.GreaterThanOrEqualTo(200));
        Assert.That(wrong, Is.Empty, $"{wrong.Count} of {compared} differ:\n" + string.Join("\n", wrong.Take(8)));
    }

    // english-bpe: the presets' built-in tokenizer (plugins/Coin.Plugins.Backbones/Text/make_english_bpe.py wrote
    // both the model and what SentencePiece gives with it).
    [TestCase("sentencepiece-model")]
    [TestCase("english-bpe")]
    public void A_sentencepiece_tokenizer_model_gives_the_ids_and_text_sentencepiece_gives(string model)
    {
        var tokenizer = model == "english-bpe" ? (SentencePieceTokenizer)PresetTokenizers.Create(model) : SentencePieceTokenizer.Load(Data(model, "tokenizer.model"));
        var expected = JsonNode.Parse(File.ReadAllText(Data(model, "expected.json")))!;
        var wrong = new List<string>();
        int compared = 0;
        for (int i = 0; i < Strings.Length; i++)
        {
            // SentencePiece alone reads "<s>" in text as characters; Coin (as transformers) splits the special
            // tokens and modality placeholders out first. Those strings are not compared.
            if (new[] { "<s>", "</s>", "<unk>", "<image>" }.Any(t => Strings[i].Contains(t, StringComparison.Ordinal))) continue;
            compared++;
            var want = expected["ids"]![i]!.AsArray().Select(v => (int)v!).ToArray();
            var got = tokenizer.Encode(Strings[i]).ToArray();
            if (!got.SequenceEqual(want)) wrong.Add($"{System.Text.Json.JsonSerializer.Serialize(Strings[i])}: [{string.Join(",", got)}], sentencepiece [{string.Join(",", want)}]");
            else if (tokenizer.Decode(got) != (string)expected["decoded"]![i]!)
                wrong.Add($"decode {System.Text.Json.JsonSerializer.Serialize(Strings[i])}: {System.Text.Json.JsonSerializer.Serialize(tokenizer.Decode(got))}, sentencepiece {System.Text.Json.JsonSerializer.Serialize((string)expected["decoded"]![i]!)}");
        }
        Assert.That(compared, Is.GreaterThanOrEqualTo(200));
        Assert.That(wrong, Is.Empty, $"{wrong.Count} of {compared} differ:\n" + string.Join("\n", wrong.Take(8)));
        Assert.That(tokenizer.Encode("a</s>b"), Does.Contain(tokenizer.EosId), "</s> in text is the end token");
    }

    [TestCase("nfc")]
    [TestCase("lowercase")]
    [TestCase("metaspace")]
    public void Added_tokens_with_normalized_true_are_matched_in_the_normalised_text_as_tokenizers_matches_them(string family)
    {
        // normalized-added/make_expected.js: the families above with normalized added tokens, ids from tokenizers.
        var strings = JsonNode.Parse(File.ReadAllText(Data("normalized-added", "strings.json")))!.AsArray().Select(s => (string)s!).ToArray();
        var tokenizer = HuggingFaceTokenizer.Load(Data("normalized-added", family, "tokenizer.json"), eosToken: family == "metaspace" ? "</s>" : "<|endoftext|>");
        var expected = JsonNode.Parse(File.ReadAllText(Data("normalized-added", family, "expected.json")))!["ids"]!.AsArray();
        var wrong = new List<string>();
        for (int i = 0; i < strings.Length; i++)
        {
            var want = expected[i]!.AsArray().Select(v => (int)v!).ToArray();
            var got = tokenizer.Encode(strings[i]).ToArray();
            if (!got.SequenceEqual(want)) wrong.Add($"{System.Text.Json.JsonSerializer.Serialize(strings[i])}: [{string.Join(",", got)}], tokenizers [{string.Join(",", want)}]");
        }
        Assert.That(strings, Has.Length.GreaterThanOrEqualTo(260));
        Assert.That(wrong, Is.Empty, $"{wrong.Count} of {strings.Length} differ:\n" + string.Join("\n", wrong.Take(8)));
    }

    [Test]
    public void Byte_pieces_that_are_not_valid_utf8_decode_as_sentencepiece_decodes_them()
    {
        // One U+FFFD per byte that starts no valid character, the valid characters between kept (issue 28's example:
        // bytes D8 D2 BB B3 give U+FFFD, U+04BB, U+FFFD); byte-decoding.json was written by python3-sentencepiece.
        var tokenizer = SentencePieceTokenizer.Load(Data("sentencepiece-model", "tokenizer.model"));
        var expected = JsonNode.Parse(File.ReadAllText(Data("sentencepiece-model", "byte-decoding.json")))!;
        var sequences = expected["ids"]!.AsArray();
        var wrong = new List<string>();
        for (int i = 0; i < sequences.Count; i++)
        {
            var ids = sequences[i]!.AsArray().Select(v => (int)v!).ToArray();
            string want = (string)expected["decoded"]![i]!, got = tokenizer.Decode(ids);
            if (got != want) wrong.Add($"[{string.Join(",", ids)}]: {string.Join(" ", got.Select(c => $"U+{(int)c:X4}"))}, sentencepiece {string.Join(" ", want.Select(c => $"U+{(int)c:X4}"))}");
        }
        Assert.That(sequences.Count, Is.GreaterThanOrEqualTo(300));
        Assert.That(wrong, Is.Empty, $"{wrong.Count} of {sequences.Count} differ:\n" + string.Join("\n", wrong.Take(8)));
        Assert.That(((string)expected["decoded"]![0]!).Select(c => (int)c), Is.EqualTo(new[] { 0xFFFD, 0x04BB, 0xFFFD }));
    }

    [Test]
    public void The_end_token_of_a_sentencepiece_model_can_be_named_and_must_be_a_control_piece()
    {
        string path = Data("sentencepiece-model", "tokenizer.model");
        var tokenizer = SentencePieceTokenizer.Load(path, eosToken: "<s>");
        Assert.That(tokenizer.EosId, Is.EqualTo(tokenizer.SpecialTokenId("<s>")));
        var error = Assert.Throws<CoinUserException>(() => SentencePieceTokenizer.Load(path, eosToken: "<|eot_id|>"))!;
        Assert.That(error.Message, Is.EqualTo($"{path}: the model has no control piece '<|eot_id|>' to end sequences with"));
    }

    [Test]
    public void A_unigram_sentencepiece_model_is_refused_by_name()
    {
        string path = Data("sentencepiece-model", "unigram.model");
        var error = Assert.Throws<CoinUserException>(() => SentencePieceTokenizer.Load(path))!;
        Assert.That(error.Message, Is.EqualTo($"{path}: model_type UNIGRAM is not implemented; only BPE (LLaMA's) is"));
    }

    [TestCase("normalizer", """{ "type": "BertNormalizer" }""", "normalizer type 'BertNormalizer' is not implemented")]
    [TestCase("pre_tokenizer", """{ "type": "Whitespace" }""", "pre_tokenizer type 'Whitespace' is not implemented")]
    [TestCase("decoder", """{ "type": "WordPiece" }""", "decoder type 'WordPiece' is not implemented")]
    public void A_step_that_is_not_implemented_stops_the_load_naming_it(string key, string value, string message)
    {
        var json = JsonNode.Parse(File.ReadAllText(Data("sentencepiece", "tokenizer.json")))!.AsObject();
        json[key] = JsonNode.Parse(value);
        string path = Path.Combine(TestPaths.NewTemporaryDirectory("tokenizer-refused"), "tokenizer.json");
        File.WriteAllText(path, json.ToJsonString());
        var error = Assert.Throws<CoinUserException>(() => HuggingFaceTokenizer.Load(path, "</s>"))!;
        Assert.That(error.Message, Does.StartWith(path + ": ").And.Contain(message));
    }
}
