using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Nn.Safetensors;
using Coin.Plugins.Encoders.Images;
using Coin.Plugins.Encoders.Vision;
using Coin.Tests.Support;
using SkiaSharp;
using static TorchSharp.torch;

namespace Coin.Tests.Modeling;

public class VisionTests
{
    private static string WritePng(int width, int height, SKColor color)
    {
        string path = Path.Combine(TestPaths.NewTemporaryDirectory("png"), "image.png");
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        bitmap.Erase(color);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    [Test]
    public void PadModeSquaresAWideImageWithTheMeanColour()
    {
        using var scope = NewDisposeScope();
        string path = WritePng(4, 2, new SKColor(255, 0, 0));
        var prepared = new ImagePreprocessor(new ImagePreprocessingOptions { ImageSize = 4, Mode = "pad" })
            .Prepare([new ModalityInput("image", Path: path)]);
        Assert.That(prepared.shape, Is.EqualTo(new long[] { 1, 3, 4, 4 }));
        // Rows 1-2 hold the red image; rows 0 and 3 the mean colour 0.5 rounded down to 127/255, normalised.
        float padded = (127f / 255 - 0.5f) / 0.5f;
        Assert.That(prepared[0, 0, 1, 0].item<float>(), Is.EqualTo(1f).Within(1e-6));
        Assert.That(prepared[0, 1, 2, 3].item<float>(), Is.EqualTo(-1f).Within(1e-6));
        Assert.That(prepared[0, 0, 0, 2].item<float>(), Is.EqualTo(padded).Within(1e-6));
        Assert.That(prepared[0, 2, 3, 1].item<float>(), Is.EqualTo(padded).Within(1e-6));
    }

    [Test]
    public void AFileThatIsNotAnImageIsNamed()
    {
        string path = Path.Combine(TestPaths.NewTemporaryDirectory("png"), "notes.png");
        File.WriteAllText(path, "not an image");
        var error = Assert.Throws<CoinUserException>(() => ImagePreprocessor.ToRgb(new ModalityInput("image", Path: path)));
        Assert.That(error!.Message, Is.EqualTo($"{path}: not a readable PNG or JPEG image"));
    }

    [Test]
    public void TheClipTowerUsesHuggingFaceNamesAndReloadsExactly()
    {
        using var scope = NewDisposeScope();
        manual_seed(8);
        var model = new ClipVisionModel(ClipVisionConfig.Preset("tiny"));
        var names = model.state_dict().Keys.ToList();
        Assert.That(names, Does.Contain("vision_model.embeddings.patch_embedding.weight").And.Contain("vision_model.embeddings.class_embedding")
            .And.Contain("vision_model.embeddings.position_embedding.weight").And.Contain("vision_model.pre_layrnorm.weight")
            .And.Contain("vision_model.encoder.layers.1.self_attn.out_proj.bias").And.Contain("vision_model.encoder.layers.0.mlp.fc2.weight")
            .And.Contain("vision_model.post_layernorm.bias"));

        var options = new ClipVisionOptions();
        using var encoder = new ClipVisionEncoder(model, options);
        var pixels = encoder.Prepare([new ModalityInput("image", Path: WritePng(40, 20, new SKColor(10, 200, 30)))]);
        var features = encoder.Encode(pixels);
        Assert.That(features.shape, Is.EqualTo(new long[] { 1, 16, 64 }), "16 patches, class token dropped");

        string folder = TestPaths.NewTemporaryDirectory("clip");
        File.WriteAllText(Path.Combine(folder, "config.json"), """
            {"model_type": "clip", "vision_config": {"image_size": 32, "patch_size": 8, "hidden_size": 64, "intermediate_size": 128,
             "num_hidden_layers": 2, "num_attention_heads": 4}}
            """);
        var tensors = model.state_dict().ToDictionary();
        tensors["text_model.embeddings.token_embedding.weight"] = ones(5, 4);
        tensors["logit_scale"] = ones(1);
        SafetensorsWriter.Save(Path.Combine(folder, "model.safetensors"), tensors);
        using var reloaded = new ClipVisionEncoder(ClipVisionEncoder.Load(folder), options);
        Assert.That(reloaded.Encode(pixels).eq(features).all().item<bool>());
    }

    [Test]
    public void FeatureLayerMinusTwoIsTheSecondToLastLayer()
    {
        using var scope = NewDisposeScope();
        manual_seed(9);
        var model = new ClipVisionModel(ClipVisionConfig.Preset("tiny"));
        var pixels = randn(2, 3, 32, 32);
        var states = model.HiddenStates(pixels, 2);
        using var encoder = new ClipVisionEncoder(model, new ClipVisionOptions { FeatureLayer = -2, SelectFeature = "cls_patch" });
        Assert.That(encoder.Encode(pixels).eq(states[1]).all().item<bool>(), "hidden_states[-2] of 3 entries is index 1");
    }
}
