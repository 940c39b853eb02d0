using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;
using Coin.Plugins.Backbones;
using Coin.Tests.Support;
using static TorchSharp.torch;

namespace Coin.Tests.Modeling;

/// <summary>A preset backbone with the built-in english-bpe tokenizer: sized from it, with the plain template's
/// start and end as its control pieces, and the modality placeholders outside its vocabulary (the collator puts the
/// features there). That its ids are SentencePiece's is TokenizerAgreementTests'.</summary>
public class PresetTokenizerTests
{
    private static IBackbone Create(string tokenizer)
    {
        var context = new ComponentContext { Device = CPU, Seed = 1, RunDirectory = TestPaths.NewTemporaryDirectory("preset-tokenizer"), ResolvePath = p => p };
        return (IBackbone)((IPluginFactory)new LlamaBackbonePlugin()).Create(new LlamaBackboneOptions { Preset = "tiny", Tokenizer = tokenizer }, context);
    }

    [Test]
    public void An_english_bpe_preset_is_sized_from_its_4096_pieces_and_frames_a_sample_with_its_control_pieces()
    {
        var backbone = Create("english-bpe");
        var tokenizer = backbone.Tokenizer;
        Assert.That(tokenizer.VocabSize, Is.EqualTo(4096));
        using var ids = tensor(new long[] { 0, 4095 }).unsqueeze(0);
        Assert.That(backbone.Embed(ids).shape, Is.EqualTo(new long[] { 1, 2, backbone.HiddenSize }), "the embedding table covers every piece");

        var prompt = tokenizer.Encode(backbone.ChatTemplate.FormatPrompt("What color is the flag?"));
        var answer = tokenizer.Encode(backbone.ChatTemplate.FormatAnswer("red"));
        Assert.That(prompt[0], Is.EqualTo(1), "<s> is SentencePiece's start piece, not its characters");
        Assert.That(answer[^1], Is.EqualTo(tokenizer.EosId).And.EqualTo(2), "</s> ends the answer");
        Assert.That(tokenizer.Decode(prompt.Skip(1)), Is.EqualTo("What color is the flag?\n"));

        var placeholders = tokenizer.AddPlaceholders(["<image>", "<audio>"]);
        Assert.That(placeholders.Values, Is.All.GreaterThanOrEqualTo(4096), "placeholders take ids past the vocabulary");
        Assert.That(tokenizer.Encode("<image>\nWhat is it?")[0], Is.EqualTo(placeholders["<image>"]));
    }

    [Test]
    public void An_unknown_preset_tokenizer_is_refused_with_the_names_accepted()
    {
        var errors = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        var options = new LlamaBackboneOptions { Tokenizer = "gpt2" };
        System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), errors, validateAllProperties: true);
        Assert.That(errors.Select(e => e.ErrorMessage), Has.One.EqualTo("unknown tokenizer 'gpt2'; accepted: words, bytes, english-bpe"));
    }
}
