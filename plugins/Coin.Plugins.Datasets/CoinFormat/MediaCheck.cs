using Coin.Abstractions.Plugins;
using Coin.Nn.Files;
using SkiaSharp;

namespace Coin.Plugins.Datasets.CoinFormat;

/// <summary>What a data row's media file must be before a run relies on it: inside the media folder (unless allowed
/// otherwise), a non-empty regular file (a FIFO or a device reports size 0 and would hang or never end), and for images
/// a PNG/JPEG header SkiaSharp can read with at most <see cref="Limits.MaxImagePixels"/> pixels — checked from the
/// header, before anything is decoded (an 8000×8000 PNG of 200 KB decodes into 256 MB). Media files are untrusted input.</summary>
internal static class MediaCheck
{
    public sealed record Limits(bool AllowOutsideFolder, long MaxImagePixels);

    public static readonly Limits Default = new(false, 50_000_000);

    /// <summary>Null when the file is fine, else what is wrong with it.</summary>
    public static string? Problem(string file, string mediaFolder, string modality, Limits limits)
    {
        if (file.Contains('\0')) return $"media path '{file.Replace("\0", "\\0")}' holds a NUL character, which no file name can";
        // Real paths on both sides: a link inside the folder to a file outside it is outside.
        if (!limits.AllowOutsideFolder && !InputFile.IsInside(file, mediaFolder))
            return $"{file} is outside the media folder {mediaFolder} (set allowMediaOutsideFolder to allow it)";
        if (!File.Exists(file)) return $"file not found: {file}";
        try
        {
            InputFile.Check(file, modality == "audio" ? InputFile.Limits.Audio : InputFile.Limits.Image, $"{modality} file");
        }
        catch (CoinUserException e)
        {
            return e.Message;
        }
        return modality switch
        {
            "image" => ImageProblem(file, limits.MaxImagePixels),
            "audio" => AudioProblem(file),
            _ => null,
        };
    }

    private static string? ImageProblem(string file, long maxPixels)
    {
        using var codec = SKCodec.Create(file);
        if (codec is null) return $"{file} is not a readable PNG or JPEG image";
        long pixels = (long)codec.Info.Width * codec.Info.Height;
        return pixels > maxPixels
            ? $"{file} is {codec.Info.Width}x{codec.Info.Height} ({pixels:N0} pixels), more than maxImagePixels ({maxPixels:N0})"
            : null;
    }

    private static string? AudioProblem(string file)
    {
        Span<byte> header = stackalloc byte[12];
        using var stream = File.OpenRead(file);
        return stream.ReadAtLeast(header, 12, throwOnEndOfStream: false) == 12
               && header[..4].SequenceEqual("RIFF"u8) && header[8..12].SequenceEqual("WAVE"u8)
            ? null
            : $"{file} is not a RIFF/WAVE file";
    }
}
