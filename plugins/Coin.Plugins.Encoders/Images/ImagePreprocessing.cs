using System.ComponentModel.DataAnnotations;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using SkiaSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Coin.Plugins.Encoders.Images;

/// <summary>How images become encoder input.</summary>
internal sealed class ImagePreprocessingOptions : IValidatableObject
{
    /// <summary>Side of the square the encoder sees.</summary>
    [Range(8, 4096)] public int ImageSize { get; set; } = 32;

    /// <summary><c>pad</c>: pad to a square with the mean colour, then resize (LLaVA-1.5's <c>pad</c>);
    /// <c>crop</c>: resize the short side, then centre-crop (CLIP's default); <c>resize</c>: stretch.</summary>
    public string Mode { get; set; } = "resize";

    /// <summary>Per-channel mean and standard deviation for normalisation (RGB, in 0..1 units).</summary>
    public List<double> Mean { get; set; } = [0.5, 0.5, 0.5];
    public List<double> Std { get; set; } = [0.5, 0.5, 0.5];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Mode is not ("pad" or "crop" or "resize"))
            yield return new ValidationResult($"unknown mode '{Mode}'; accepted: pad, crop, resize", [nameof(Mode)]);
        if (Mean.Count != 3 || Std.Count != 3 || Std.Any(s => s <= 0))
            yield return new ValidationResult("mean and std need three values each, std above 0", [nameof(Std)]);
    }

    /// <summary>CLIP's normalisation constants (OpenAI), used by LLaVA's vision tower.</summary>
    public static readonly double[] ClipMean = [0.48145466, 0.4578275, 0.40821073];
    public static readonly double[] ClipStd = [0.26862954, 0.26130258, 0.27577711];
}

/// <summary>Decodes PNG/JPEG files (SkiaSharp) or takes in-memory pixels, squares them, resizes and normalises.</summary>
internal sealed class ImagePreprocessor(ImagePreprocessingOptions options)
{
    /// <summary>The largest image decoded (the data sources refuse larger ones up front, at a limit of their own).</summary>
    public const long MaxPixels = 100_000_000;

    /// <summary>[inputs, 3, size, size] float32 on the CPU.</summary>
    /// <remarks>Image files are processed as Hugging Face's CLIPImageProcessor (after LLaVA's pad-to-square) processes
    /// them: in 8 bits with Pillow's bicubic resize (<see cref="PilResample"/>), then x · (1/255) in float64 to
    /// float32 and (x − mean) / std in float32, so the pixels equal the processor's. Images given as values (in-memory
    /// data sources, already 0..1 floats) are resized by libtorch's bicubic interpolation instead.</remarks>
    public Tensor Prepare(IReadOnlyList<ModalityInput> inputs)
    {
        using var scope = NewDisposeScope();
        var (mean, std) = Normalisation();
        var images = inputs.Select(input => input.Values is not null
            ? (Square(ToRgb(input), mean) - mean) / std
            : (Rescale(SquareBytes(Decode(input))) - mean) / std).ToArray();
        return stack(images).MoveToOuterDisposeScope();
    }

    /// <summary>[1 + tiles, 3, tile, tile] float32 of one image under LLaVA-NeXT's any-resolution split
    /// (<see cref="AnyResolution"/>), normalised as <see cref="Prepare"/> normalises, with the original size (height,
    /// width) as the model needs it to unpad the feature grid. An image given as values (0..1) is rounded to 8 bits
    /// first, so that it takes the processor's path as a file does.</summary>
    public (Tensor Pixels, AnyResolution.Size Original, AnyResolution.Size Best) PrepareAnyResolution(ModalityInput input, IReadOnlyList<AnyResolution.Size> pinpoints)
    {
        using var scope = NewDisposeScope();
        var (mean, std) = Normalisation();
        var image = input.Values is not null ? EightBits(input) : Decode(input);
        int size = options.ImageSize;
        var (best, tiles) = AnyResolution.Split(image.Pixels, image.Width, image.Height, pinpoints, size);
        var pixels = stack(tiles.Select(tile => (Rescale(new Rgb8(tile, size, size)) - mean) / std).ToArray());
        return (pixels.MoveToOuterDisposeScope(), new AnyResolution.Size(image.Height, image.Width), best);
    }

    /// <summary>The mean and standard deviation, [3, 1, 1] each, in the current dispose scope.</summary>
    private (Tensor Mean, Tensor Std) Normalisation()
        => (tensor(options.Mean.Select(v => (float)v).ToArray()).view(3, 1, 1), tensor(options.Std.Select(v => (float)v).ToArray()).view(3, 1, 1));

    /// <summary>An 8-bit image, height × width × 3 bytes.</summary>
    private sealed record Rgb8(byte[] Pixels, int Width, int Height);

    private static Tensor Rescale(Rgb8 image)
        => (tensor(image.Pixels, [image.Height, image.Width, 3]).permute(2, 0, 1).to_type(ScalarType.Float64) * (1.0 / 255)).to_type(ScalarType.Float32);

    /// <summary>CLIPImageProcessor's resize and crop, or LLaVA's pad then the same, or a plain resize, in 8 bits.</summary>
    private Rgb8 SquareBytes(Rgb8 image)
    {
        int size = options.ImageSize;
        switch (options.Mode)
        {
            case "pad" when image.Width != image.Height:
                return ShortestEdgeThenCrop(PaddedToSquare(image), size);
            case "pad":
            case "crop":
                return ShortestEdgeThenCrop(image, size);
            default:
                return new Rgb8(PilResample.Resize(image.Pixels, image.Width, image.Height, size, size), size, size);
        }
    }

    /// <summary>LLaVA's expand2square (transformers' pad_to_square): the processor's mean colour as int(m * 255), the
    /// image pasted at the centre (rounded down).</summary>
    private Rgb8 PaddedToSquare(Rgb8 image)
    {
        if (image.Width == image.Height) return image;
        int side = Math.Max(image.Width, image.Height);
        var fill = options.Mean.Select(m => (byte)(int)(m * 255)).ToArray();
        var canvas = new byte[side * side * 3];
        for (int i = 0; i < side * side; i++) fill.CopyTo(canvas, i * 3);
        int left = (side - image.Width) / 2, top = (side - image.Height) / 2;
        for (int y = 0; y < image.Height; y++)
            Array.Copy(image.Pixels, y * image.Width * 3, canvas, ((y + top) * side + left) * 3, image.Width * 3);
        return new Rgb8(canvas, side, side);
    }

    /// <summary>[1, 3, size, size]: LLaVA-OneVision's processing of one of several images in a sample, padded to a
    /// square with the mean colour and resized whole to one tile, as a file or as values rounded to 8 bits; with the
    /// image's original size (height, width).</summary>
    public (Tensor Pixels, AnyResolution.Size Original) PrepareWholeSquare(ModalityInput input)
    {
        using var scope = NewDisposeScope();
        var (mean, std) = Normalisation();
        var image = input.Values is not null ? EightBits(input) : Decode(input);
        var square = PaddedToSquare(image);
        var resized = new Rgb8(PilResample.Resize(square.Pixels, square.Width, square.Height, options.ImageSize, options.ImageSize), options.ImageSize, options.ImageSize);
        return (((Rescale(resized) - mean) / std).unsqueeze(0).MoveToOuterDisposeScope(), new AnyResolution.Size(image.Height, image.Width));
    }

    /// <summary>The shortest edge to <paramref name="size"/>, the other to int(size · long / short), truncated as
    /// transformers' get_resize_output_image_size does (640×480 at 224 is 298 wide, not 299); then the centre crop,
    /// its corner rounded down.</summary>
    private static Rgb8 ShortestEdgeThenCrop(Rgb8 image, int size)
    {
        bool portrait = image.Width <= image.Height;
        int shorter = portrait ? image.Width : image.Height, longer = portrait ? image.Height : image.Width;
        int newLonger = (int)(size * (double)longer / shorter);
        int width = portrait ? size : newLonger, height = portrait ? newLonger : size;
        var resized = PilResample.Resize(image.Pixels, image.Width, image.Height, width, height);
        int top = (height - size) / 2, left = (width - size) / 2;
        var cropped = new byte[size * size * 3];
        for (int y = 0; y < size; y++) Array.Copy(resized, ((y + top) * width + left) * 3, cropped, y * size * 3, size * 3);
        return new Rgb8(cropped, size, size);
    }

    /// <summary>An image file decoded to 8-bit RGB, its size checked first: a small file can declare an image that
    /// takes gigabytes to decode.</summary>
    private static Rgb8 Decode(ModalityInput input)
    {
        if (input.Path is null) throw new CoinUserException("image input has neither a path nor values");
        if (!File.Exists(input.Path)) throw new CoinUserException($"{input.Path}: image file not found");
        Coin.Nn.Files.InputFile.Check(input.Path, Coin.Nn.Files.InputFile.Limits.Image, "image file");
        using var codec = SKCodec.Create(input.Path) ?? throw new CoinUserException($"{input.Path}: not a readable PNG or JPEG image");
        if ((long)codec.Info.Width * codec.Info.Height > MaxPixels)
            throw new CoinUserException($"{input.Path}: {codec.Info.Width}x{codec.Info.Height} pixels is more than {MaxPixels:N0}; resize it first");
        // What SKBitmap.Decode does (premultiplied alpha for an unpremultiplied image, the codec's colour space), except
        // that it keeps an image whose data ends early (IncompleteInput), its missing rows filled in by the codec.
        var info = codec.Info;
        if (info.AlphaType == SKAlphaType.Unpremul) info.AlphaType = SKAlphaType.Premul;
        using var decoded = new SKBitmap(info);
        var result = codec.GetPixels(info, decoded.GetPixels(out _));
        if (result != SKCodecResult.Success)
            throw new CoinUserException(result == SKCodecResult.IncompleteInput
                ? $"{input.Path}: the image data ends early (a truncated or partly written file)"
                : $"{input.Path}: the image cannot be decoded ({result})");
        using var rgba = decoded.Copy(SKColorType.Rgba8888) ?? throw new CoinUserException($"{input.Path}: cannot convert the image to RGBA");
        byte[] bytes = rgba.Bytes;
        var rgb = new byte[rgba.Width * rgba.Height * 3];
        for (int i = 0; i < rgba.Width * rgba.Height; i++)
        {
            rgb[i * 3] = bytes[i * 4];
            rgb[i * 3 + 1] = bytes[i * 4 + 1];
            rgb[i * 3 + 2] = bytes[i * 4 + 2];
        }
        return new Rgb8(rgb, rgba.Width, rgba.Height);
    }

    /// <summary>[3, height, width] in 0..1.</summary>
    /// <summary>In-memory values [3, height, width] in 0..1 as 8-bit RGB, each rounded to the nearest level.</summary>
    private static Rgb8 EightBits(ModalityInput input)
    {
        using var scope = NewDisposeScope();
        var rgb = ToRgb(input);
        var bytes = (rgb.clamp(0, 1) * 255).round().to_type(ScalarType.Byte).permute(1, 2, 0).contiguous().data<byte>().ToArray();
        return new Rgb8(bytes, (int)rgb.shape[2], (int)rgb.shape[1]);
    }

    public static Tensor ToRgb(ModalityInput input)
    {
        if (input.Values is not null)
        {
            if (input.Shape is not [3, var h, var w] || input.Values.Length != 3 * h * w)
                throw new CoinUserException($"image input '{input.Path ?? "(in memory)"}': values must have shape [3, height, width]");
            return tensor(input.Values, [3, h, w]);
        }
        var image = Decode(input);
        return tensor(image.Pixels, [image.Height, image.Width, 3]).permute(2, 0, 1).to_type(ScalarType.Float32) / 255.0f;
    }

    private Tensor Square(Tensor image, Tensor mean)
    {
        long height = image.shape[1], width = image.shape[2];
        int size = options.ImageSize;
        switch (options.Mode)
        {
            case "pad" when height != width:
            {
                long side = Math.Max(height, width);
                // LLaVA pads with the processor's mean colour, rounded to 8-bit as PIL does.
                var fill = (mean * 255).floor() / 255;
                var canvas = fill.expand(3, side, side).clone();
                canvas.narrow(1, (side - height) / 2, height).narrow(2, (side - width) / 2, width).copy_(image);
                return Resize(canvas, size, size);
            }
            case "crop":
            {
                double scale = (double)size / Math.Min(height, width);
                long h = Math.Max(size, (long)Math.Round(height * scale)), w = Math.Max(size, (long)Math.Round(width * scale));
                var resized = Resize(image, h, w);
                return resized.narrow(1, (h - size) / 2, size).narrow(2, (w - size) / 2, size);
            }
            default:
                return Resize(image, size, size);
        }
    }

    private static Tensor Resize(Tensor image, long height, long width)
    {
        if (image.shape[1] == height && image.shape[2] == width) return image;
        return F.interpolate(image.unsqueeze(0), [height, width], mode: InterpolationMode.Bicubic, align_corners: false, antialias: true)
            .squeeze(0).clamp(0, 1);
    }
}
