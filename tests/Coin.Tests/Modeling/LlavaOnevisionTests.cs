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

/// <summary>A tiny LLaVA-OneVision in the llava-hf layout (tests/data/llava-onevision/make_fixture.py, which writes out
/// transformers' LlavaOnevisionImageProcessor and LlavaOnevisionForConditionalGeneration in plain PyTorch and Pillow:
/// SigLIP tower, Qwen2 language model, layer -1, every position, anyres_max_2) computes what transformers computes: for
/// a sample's only image (smaller than a tile, wide with a grid that shrinks, tall, and larger) and for two images in one
/// sample (each padded to a square, one tile), the tiles' pixels, the number of image tokens, the packed features, the
/// logits and ten greedy tokens.</summary>
public class LlavaOnevisionTests
{
    private static string Data(params string[] parts) => Path.Combine([TestPaths.Root, "tests", "data", "llava-onevision", .. parts]);
    private static readonly string Folder = Data("llava-onevision-tiny");

    private static ComponentContext Context() => new() { Device = CPU, Seed = 1, RunDirectory = TestPaths.NewTemporaryDirectory("onevision"), ResolvePath = p => p };

    [TestCase("small")]
    [TestCase("wide")]
    [TestCase("tall")]
    [TestCase("large")]
    [TestCase("two")]
    public void A_sample_gives_transformers_pixels_tokens_packed_features_logits_and_greedy_tokens(string name)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var expected = SafetensorsFile.Open(Data("expected.safetensors"));
        var settings = JsonDocument.Parse(expected.Metadata[name]).RootElement;
        using var encoder = (ITiledEncoder)((IPluginFactory)new ClipVisionEncoderPlugin())
            .Create(new ClipVisionOptions { Path = Folder, Mode = "anyres", FeatureLayer = -1 }, Context());
        using var connector = new PackingMlp2xGeluConnector(12, 32);
        LlavaProjector.LoadInto(connector, Folder, encoderWidth: 12);
        using var model = HuggingFaceCheckpoint.Load(Folder);
        model.eval();
        Assert.That(model.Config.AttentionBias, Is.True, "text_config without model_type is Qwen2's in OneVision: biases on q, k, v");

        var images = settings.GetProperty("images").EnumerateArray().Select(i => (Name: i[2].GetString()!, Folder: i[3].GetString()!)).ToList();
        var packedImages = new List<Tensor>();
        for (int k = 0; k < images.Count; k++)
        {
            var input = new ModalityInput("image", Path.Combine(TestPaths.Root, "tests", "data", images[k].Folder, images[k].Name));
            var (pixels, layout) = encoder.PrepareTiles(input, inputsInSample: images.Count);
            var referencePixels = expected.Load($"{name}.{k}.pixels");
            Assert.That(pixels.shape, Is.EqualTo(referencePixels.shape), $"image {k}: pixel_values");
            Assert.That((pixels - referencePixels).abs().max().item<float>(), Is.LessThanOrEqualTo(1e-6f), $"image {k}");
            var packed = connector.ProjectAndPack(encoder.Encode(pixels), layout);
            var referencePacked = expected.Load($"{name}.{k}.packed");
            Assert.That(packed.shape[0], Is.EqualTo(referencePacked.shape[0]), $"image {k}: the number of image tokens");
            Assert.That(connector.TokensFor(layout, encoder.TokensPerInput), Is.EqualTo(referencePacked.shape[0]), $"image {k}: counted without the tower");
            Assert.That(SplicedSequence.RelativeError(packed, referencePacked), Is.LessThanOrEqualTo(1e-5), $"image {k}");
            packedImages.Add(packed);
        }

        long[] Ids(string key) => settings.GetProperty(key).EnumerateArray().Select(v => v.GetInt64()).ToArray();
        Tensor Embed(long[] ids) => SplicedSequence.Embed(model, ids);
        var pieces = new List<Tensor> { Embed(Ids("before")) };
        for (int k = 0; k < packedImages.Count; k++)
        {
            if (k > 0) pieces.Add(Embed(Ids("between")));
            pieces.Add(packedImages[k]);
        }
        pieces.Add(Embed(Ids("after")));
        var sequence = cat(pieces, 0);
        Assert.That(SplicedSequence.RelativeError(SplicedSequence.Logits(model, sequence), expected.Load(name + ".logits")), Is.LessThanOrEqualTo(1e-5));

        Assert.That(SplicedSequence.Greedy(model, sequence, 10), Is.EqualTo(settings.GetProperty("greedy").EnumerateArray().Select(v => v.GetInt64())), "ten greedy tokens");
    }

    [Test]
    public void The_folders_layer_and_feature_selection_are_required()
    {
        var error = Assert.Throws<CoinOptionException>(() => ((IPluginFactory)new ClipVisionEncoderPlugin())
            .Create(new ClipVisionOptions { Path = Folder, Mode = "anyres" }, Context()));
        Assert.That(error!.Message, Does.Contain("-2, but").And.Contain("vision_feature_layer -1"));
        var mode = Assert.Throws<CoinOptionException>(() => ((IPluginFactory)new ClipVisionEncoderPlugin())
            .Create(new ClipVisionOptions { Path = Folder, FeatureLayer = -1 }, Context()));
        Assert.That(mode!.Message, Does.Contain("is LLaVA-OneVision (llava_onevision), whose images are any-resolution tiles: set mode anyres"));
    }

}
