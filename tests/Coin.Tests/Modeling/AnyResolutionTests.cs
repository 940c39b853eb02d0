using Coin.Abstractions.Data;
using Coin.Nn.Safetensors;
using Coin.Nn.Vision;
using Coin.Plugins.Encoders.Images;
using Coin.Tests.Support;
using static TorchSharp.torch;
using Size = Coin.Plugins.Encoders.Images.AnyResolution.Size;

namespace Coin.Tests.Modeling;

/// <summary>LLaVA-NeXT's any-resolution split gives the pixels transformers' LlavaNextImageProcessor gives: the
/// references in tests/data/anyres were made by Pillow and NumPy following the processor's code (make_expected.py),
/// at tile 32 with LLaVA-NeXT's five pinpoints scaled to it, for images smaller than a tile, square, wide, tall, and
/// wide or tall enough for a 3 × 1 grid.</summary>
public class AnyResolutionTests
{
    /// <summary>LLaVA-NeXT's five pinpoints at tile 32, as make_expected.py and make_packed.py use them.</summary>
    internal static readonly Size[] Pinpoints = [new(32, 64), new(64, 32), new(64, 64), new(96, 32), new(32, 96)];

    private static string Image(string name)
    {
        string own = Path.Combine(TestPaths.Root, "tests", "data", "anyres", name);
        return File.Exists(own) ? own : Path.Combine(TestPaths.Root, "tests", "data", "images", name);
    }

    [TestCase("small-20x12.png")]
    [TestCase("square-32.png")]
    [TestCase("tall-83x129.png")]
    [TestCase("wide-160x120.png")]
    [TestCase("wide-200x43.png")]
    [TestCase("tall-43x200.png")]
    public void Files_give_the_processors_tiles(string name)
    {
        using var scope = NewDisposeScope();
        using var expected = SafetensorsFile.Open(Path.Combine(TestPaths.Root, "tests", "data", "anyres", "expected.safetensors"));
        var preprocessor = new ImagePreprocessor(new ImagePreprocessingOptions
        {
            ImageSize = 32, Mean = [.. ImagePreprocessingOptions.ClipMean], Std = [.. ImagePreprocessingOptions.ClipStd],
        });
        var (pixels, original, best) = preprocessor.PrepareAnyResolution(new ModalityInput("image", Path: Image(name)), Pinpoints);
        var reference = expected.Load(name);
        Assert.That(best.ToString(), Is.EqualTo(expected.Metadata[name]));
        Assert.That(pixels.shape, Is.EqualTo(reference.shape));
        Assert.That((pixels - reference).abs().max().item<float>(), Is.LessThanOrEqualTo(1e-6f), name);
        // The file names say width × height (square-32: 32 × 32).
        var dimensions = name.Split('-', '.')[1].Split('x').Select(int.Parse).ToArray();
        Assert.That(original, Is.EqualTo(new Size(dimensions[^1], dimensions[0])), "height first, as image_sizes holds it");
    }

    [Test]
    public void The_best_resolution_keeps_most_of_the_image_then_wastes_least_then_is_listed_first()
    {
        // LLaVA-NeXT's own pinpoints at tile 336: a 1000 × 500 photo fits 672 × 336 (wide) with nothing wasted beyond
        // its own upscale; a square one gets 672²; a 100 × 100 one keeps its 10,000 pixels anywhere, and 336 × 672 is
        // the first of the least wasteful.
        Size[] llavaNext = [new(336, 672), new(672, 336), new(672, 672), new(1008, 336), new(336, 1008)];
        Assert.That(AnyResolution.SelectBestResolution(new Size(500, 1000), llavaNext), Is.EqualTo(new Size(336, 672)));
        Assert.That(AnyResolution.SelectBestResolution(new Size(800, 800), llavaNext), Is.EqualTo(new Size(672, 672)));
        Assert.That(AnyResolution.SelectBestResolution(new Size(100, 100), llavaNext), Is.EqualTo(new Size(336, 672)));
        Assert.That(AnyResolution.SelectBestResolution(new Size(2000, 300), llavaNext), Is.EqualTo(new Size(1008, 336)));
    }

    [Test]
    public void The_resized_image_fills_the_side_that_limits_it_and_rounds_the_other_up()
    {
        // 1000 wide × 500 high into 672 × 672: the width limits (0.672 < 1.344): 672 wide, ceil(500 · 0.672) = 336 high.
        Assert.That(AnyResolution.PatchOutputSize(new Size(500, 1000), new Size(672, 672)), Is.EqualTo(new Size(336, 672)));
        // 333 × 333 into 336 × 672: the height limits: 336 high, ceil(333 · 336 / 333) = 336 wide.
        Assert.That(AnyResolution.PatchOutputSize(new Size(333, 333), new Size(336, 672)), Is.EqualTo(new Size(336, 336)));
        // 7 × 3 into 32 × 96: scales 96/3 = 32 and 32/7: the height limits: 32 high, ceil(3 · 32 / 7) = ceil(13.71) = 14.
        Assert.That(AnyResolution.PatchOutputSize(new Size(7, 3), new Size(32, 96)), Is.EqualTo(new Size(32, 14)));
    }
}

/// <summary>The projected tile features packed as transformers' LlavaNextModel and LlavaOnevisionModel pack them
/// (pack_image_features): the references in tests/data/anyres/packed.safetensors were computed by PyTorch following
/// their code (make_packed.py), for wide, tall, square and photo-shaped images, and OneVision's anyres_max_N with and
/// without shrinking.</summary>
public class AnyResolutionFeatureTests
{
    private static readonly Size[] Pinpoints = AnyResolutionTests.Pinpoints;

    [TestCase("wide")]
    [TestCase("tall")]
    [TestCase("square")]
    [TestCase("photo")]
    [TestCase("onevision-shrinks")]
    [TestCase("onevision-keeps")]
    [TestCase("onevision-tall")]
    public void Packed_features_equal_transformers(string name)
    {
        using var scope = NewDisposeScope();
        using var expected = SafetensorsFile.Open(Path.Combine(TestPaths.Root, "tests", "data", "anyres", "packed.safetensors"));
        var settings = System.Text.Json.JsonDocument.Parse(expected.Metadata[name]).RootElement;
        int? max = settings.GetProperty("max").ValueKind == System.Text.Json.JsonValueKind.Null ? null : settings.GetProperty("max").GetInt32();
        var original = new Size(settings.GetProperty("height").GetInt32(), settings.GetProperty("width").GetInt32());
        var packed = TilePacking.Pack(expected.Load(name + ".features"), AnyResolution.Layout(original, Pinpoints, tileSize: 32, max), expected.Load("newline"));
        var reference = expected.Load(name + ".packed");
        Assert.That(packed.shape, Is.EqualTo(reference.shape), "the number of image tokens");
        Assert.That((packed - reference).abs().max().item<float>(), Is.LessThanOrEqualTo(1e-6f));
    }

    [Test]
    public void The_token_count_without_the_tower_is_the_packed_features_length([Values(null, 1, 2, 9)] int? maxTiles)
    {
        // What the collator leaves placeholders for must be what packing gives, for any image size: 300 random sizes
        // from 1 to 400 pixels a side, with and without OneVision's shrinking.
        using var scope = NewDisposeScope();
        var random = new Random(17);
        var newline = zeros(8);
        for (int i = 0; i < 300; i++)
        {
            var original = new Size(random.Next(1, 401), random.Next(1, 401));
            var layout = AnyResolution.Layout(original, Pinpoints, 32, maxTiles);
            using var packed = TilePacking.Pack(zeros(layout.Tiles, 16, 8), layout, newline);
            Assert.That(TilePacking.TokenCount(layout, positionsPerTile: 16, newline: true), Is.EqualTo(packed.shape[0]), $"{original}");
        }
    }

    [Test]
    public void Tiles_that_do_not_match_the_images_grid_are_refused_by_name()
    {
        using var scope = NewDisposeScope();
        // A 120 × 160 image takes the 64 × 64 pinpoint: 2 × 2 tiles, so 1 + 4 feature sets, not 1 + 3.
        var error = Assert.Throws<Coin.Abstractions.Plugins.CoinUserException>(() =>
            TilePacking.Pack(zeros(4, 16, 8), AnyResolution.Layout(new Size(120, 160), Pinpoints, 32), null));
        Assert.That(error!.Message, Does.Contain("3 tiles for an image of 120x160 whose grid holds 2 x 2"));
    }
}
