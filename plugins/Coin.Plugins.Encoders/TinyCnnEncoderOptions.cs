using System.ComponentModel.DataAnnotations;

namespace Coin.Plugins.Encoders;

public sealed class TinyCnnEncoderOptions
{
    /// <summary>Side of the square input; images of another size are resized (bilinear, antialiased).</summary>
    [Range(8, 1024)] public int ImageSize { get; set; } = 32;

    /// <summary>Width of each output feature vector.</summary>
    [Range(8, 4096)] public int Channels { get; set; } = 64;
}
