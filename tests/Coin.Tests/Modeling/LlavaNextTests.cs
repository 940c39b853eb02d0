using System.Text.Json;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Nn.Safetensors;
using Coin.Plugins.Backbones.Llama;
using Coin.Plugins.Connectors;
using Coin.Plugins.Encoders.Vision;
using Coin.Tests.Support;
using static TorchSharp.torch;

namespace Coin.Tests.Modeling;

/// <summary>A tiny LLaVA-NeXT in the llava-hf layout (tests/data/llava-next/make_fixture.py, which writes out
/// transformers' image processor and LlavaNextForConditionalGeneration in plain PyTorch and Pillow) computes what
/// transformers computes, with a LLaMA (Vicuna's family) or a Mistral language model, and under either name layout: for images smaller than a tile,
/// square, wide and tall, the tiles' pixels, the number of image tokens, the packed features (unpadded, a newline after
/// each row), the logits of a sequence holding them, and ten greedy tokens.</summary>
public class LlavaNextTests
{
    private static string Data(params string[] parts) => Path.Combine([TestPaths.Root, "tests", "data", "llava-next", .. parts]);
    private static readonly string Folder = Data("llava-next-tiny");

    private static ITiledEncoder Encoder(string folder)
    {
        var context = new ComponentContext { Device = CPU, Seed = 1, RunDirectory = TestPaths.NewTemporaryDirectory("llava-next"), ResolvePath = p => p };
        var encoder = ((IPluginFactory)new ClipVisionEncoderPlugin()).Create(new ClipVisionOptions { Path = folder, Mode = "anyres" }, context);
        Assert.That(encoder, Is.InstanceOf<ITiledEncoder>(), "a llava_next folder under anyres gives a tiled encoder");
        return (ITiledEncoder)encoder;
    }

    [TestCase("llama", "small-20x12.png", "images")]
    [TestCase("llama", "square-32.png", "images")]
    [TestCase("llama", "wide-160x120.png", "images")]
    [TestCase("llama", "tall-83x129.png", "images")]
    [TestCase("llama", "wide-200x43.png", "anyres")]
    [TestCase("llama", "tall-43x200.png", "anyres")]
    [TestCase("mistral", "wide-160x120.png", "images")]
    [TestCase("llama-current-names", "tall-83x129.png", "images")]
    [TestCase("mistral", "tall-43x200.png", "anyres")]
    public void An_image_gives_transformers_pixels_tokens_packed_features_logits_and_greedy_tokens(string family, string image, string folder)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        string source = family switch { "llama" => Folder, "llama-current-names" => LlavaFolders.WithCurrentNames(Folder), _ => Data($"llava-next-{family}-tiny") };
        using var expected = SafetensorsFile.Open(Data(family.StartsWith("llama") ? "expected.safetensors" : $"expected-{family}.safetensors"));
        var settings = JsonDocument.Parse(expected.Metadata[image]).RootElement;
        using var encoder = Encoder(source);
        using var connector = new PackingMlp2xGeluConnector(12, 32);
        LlavaProjector.LoadInto(connector, source, encoderWidth: 12);
        using var model = HuggingFaceCheckpoint.Load(source);
        model.eval();

        var (pixels, layout) = encoder.PrepareTiles(new ModalityInput("image", Path.Combine(TestPaths.Root, "tests", "data", folder, image)), inputsInSample: 1);
        var referencePixels = expected.Load(image + ".pixels");
        Assert.That(pixels.shape, Is.EqualTo(referencePixels.shape), "pixel_values: the whole image and the best pinpoint's tiles");
        Assert.That((pixels - referencePixels).abs().max().item<float>(), Is.LessThanOrEqualTo(1e-6f));
        Assert.That((layout.OriginalHeight, layout.OriginalWidth), Is.EqualTo((settings.GetProperty("height").GetInt32(), settings.GetProperty("width").GetInt32())), "image_sizes");

        var packed = connector.ProjectAndPack(encoder.Encode(pixels), layout);
        var referencePacked = expected.Load(image + ".packed");
        Assert.That(packed.shape[0], Is.EqualTo(referencePacked.shape[0]), "the number of image tokens");
        Assert.That(connector.TokensFor(layout, encoder.TokensPerInput), Is.EqualTo(referencePacked.shape[0]), "counted without the tower");
        Assert.That(SplicedSequence.RelativeError(packed, referencePacked), Is.LessThanOrEqualTo(1e-5));

        long[] before = settings.GetProperty("before").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        long[] after = settings.GetProperty("after").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        Tensor Embed(long[] ids) => SplicedSequence.Embed(model, ids);
        var sequence = cat([Embed(before), packed, Embed(after)], 0);
        Assert.That(SplicedSequence.RelativeError(SplicedSequence.Logits(model, sequence), expected.Load(image + ".logits")), Is.LessThanOrEqualTo(1e-5));

        Assert.That(SplicedSequence.Greedy(model, sequence, 10), Is.EqualTo(settings.GetProperty("greedy").EnumerateArray().Select(v => v.GetInt64())), "ten greedy tokens");
    }

    [Test]
    public void The_largest_layout_bounds_every_images_tokens()
    {
        using var scope = NewDisposeScope();
        using var encoder = Encoder(Folder);
        using var connector = new PackingMlp2xGeluConnector(12, 32);
        int most = connector.TokensFor(encoder.LargestLayout, encoder.TokensPerInput);
        var random = new Random(3);
        for (int i = 0; i < 200; i++)
        {
            var layout = Coin.Plugins.Encoders.Images.AnyResolution.Layout(new(random.Next(1, 300), random.Next(1, 300)),
                [new(32, 64), new(64, 32), new(64, 64), new(96, 32), new(32, 96)], 32);
            Assert.That(connector.TokensFor(layout, encoder.TokensPerInput), Is.LessThanOrEqualTo(most), $"{layout}");
        }
    }

    [TestCase("pad", "options.mode: pad, but", "is LLaVA-NeXT (llava_next), whose images are any-resolution tiles: set mode anyres")]
    public void A_llava_next_folder_under_another_mode_is_refused(string mode, string start, string message)
    {
        var context = new ComponentContext { Device = CPU, Seed = 1, RunDirectory = TestPaths.NewTemporaryDirectory("llava-next"), ResolvePath = p => p };
        var error = Assert.Throws<CoinOptionException>(() => ((IPluginFactory)new ClipVisionEncoderPlugin()).Create(new ClipVisionOptions { Path = Folder, Mode = mode }, context));
        Assert.That(error!.Message, Does.StartWith(start).And.Contain(message));
    }

}
