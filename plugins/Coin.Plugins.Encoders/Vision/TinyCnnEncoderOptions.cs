using System.ComponentModel.DataAnnotations;

namespace Coin.Plugins.Encoders.Vision;

internal sealed class TinyCnnEncoderOptions
{
    /// <summary>Side of the square input; images of another size are squared and resized (see mode).</summary>
    [Range(8, 1024)] public int ImageSize { get; set; } = 32;

    /// <summary><c>resize</c>, <c>pad</c> (LLaVA) or <c>crop</c> (CLIP); see ImagePreprocessingOptions.</summary>
    [RegularExpression("^(resize|pad|crop)$", ErrorMessage = "expected resize, pad or crop")]
    public string Mode { get; set; } = "resize";

    /// <summary>Width of each output feature vector.</summary>
    [Range(8, 4096)] public int Channels { get; set; } = 64;
}
