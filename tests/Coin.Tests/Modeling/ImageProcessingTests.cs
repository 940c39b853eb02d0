using Coin.Abstractions.Data;
using Coin.Nn.Safetensors;
using Coin.Plugins.Encoders.Images;
using Coin.Tests.Support;
using static TorchSharp.torch;

namespace Coin.Tests.Modeling;

/// <summary>Image files come out of the preprocessor as they come out of transformers' CLIPImageProcessor (and LLaVA's
/// pad-to-square before it): the references in tests/data/images were made by Pillow and numpy following the
/// processor's steps (make_expected.py), for wide, tall, square and upscaled images.</summary>
public class ImageProcessingTests
{
    private static string Data(string name) => Path.Combine(TestPaths.Root, "tests", "data", "images", name);

    [TestCase("wide-160x120")]
    [TestCase("tall-83x129")]
    [TestCase("square-32")]
    [TestCase("small-20x12")]
    public void Files_give_the_processors_pixels_in_crop_and_pad_modes(string image)
    {
        using var scope = NewDisposeScope();
        using var expected = SafetensorsCheckpoint.Open(Data(""), "expected");
        foreach (string mode in new[] { "crop", "pad" })
        {
            var preprocessor = new ImagePreprocessor(new ImagePreprocessingOptions
            {
                ImageSize = 32, Mode = mode, Mean = [.. ImagePreprocessingOptions.ClipMean], Std = [.. ImagePreprocessingOptions.ClipStd],
            });
            var ours = preprocessor.Prepare([new ModalityInput("image", Path: Data(image + ".png"))])[0];
            var reference = expected.Load($"{image}.{mode}");
            Assert.That(ours.shape, Is.EqualTo(reference.shape));
            Assert.That((ours - reference).abs().max().item<float>(), Is.LessThanOrEqualTo(1e-6f), $"{image} {mode}");
        }
    }

    [Test]
    public void The_long_edge_is_truncated_as_transformers_computes_it()
    {
        // 160×120 at 32: int(32 · 160 / 120) = int(42.67) = 42 wide, where rounding would give 43. Cropping 42 or 43
        // columns to 32 starts at column 5 either way, so the pixels show which width was resized to: only 42 gives
        // the reference (the test above); here, the resize itself.
        var pixels = new byte[120 * 160 * 3];
        new Random(1).NextBytes(pixels);
        Assert.That(PilResample.Resize(pixels, 160, 120, 42, 32), Has.Length.EqualTo(42 * 32 * 3));
        Assert.That(PilResample.Resize(pixels, 160, 120, 160, 120), Is.SameAs(pixels), "same size: untouched");
    }

    [TestCase(0.5)]
    [TestCase(0.9)]
    public void A_truncated_image_is_refused_naming_the_file(double kept)
    {
        // SkiaSharp's SKBitmap.Decode keeps an image whose data ends early, its missing rows filled in: a partly
        // written or cut-off file would train as a different picture.
        byte[] whole = File.ReadAllBytes(Data("wide-160x120.png"));
        string path = Path.Combine(TestPaths.NewTemporaryDirectory("truncated"), "cut.png");
        File.WriteAllBytes(path, whole[..(int)(whole.Length * kept)]);
        var preprocessor = new ImagePreprocessor(new ImagePreprocessingOptions { ImageSize = 32, Mode = "pad" });
        var error = Assert.Throws<Coin.Abstractions.Plugins.CoinUserException>(() => preprocessor.Prepare([new ModalityInput("image", Path: path)]));
        Assert.That(error!.Message, Is.EqualTo($"{path}: the image data ends early (a truncated or partly written file)"));
    }
}
