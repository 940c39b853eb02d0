using SkiaSharp;

namespace Coin.Plugins.Datasets.MiniCoin;

/// <summary>An RGB raster that the generator draws on and saves as PNG. Colours are bytes; drawing is exact
/// integer arithmetic, so the same seed gives the same bytes on every machine.</summary>
internal sealed class Canvas
{
    private readonly byte[] rgb;

    public Canvas(int size, (byte R, byte G, byte B) background)
    {
        Size = size;
        rgb = new byte[size * size * 3];
        Fill(0, 0, size, size, background);
    }

    public int Size { get; }

    public void Set(int x, int y, (byte R, byte G, byte B) c)
    {
        if (x < 0 || y < 0 || x >= Size || y >= Size) return;
        int i = (y * Size + x) * 3;
        (rgb[i], rgb[i + 1], rgb[i + 2]) = c;
    }

    public void Fill(int x0, int y0, int x1, int y1, (byte R, byte G, byte B) c)
    {
        for (int y = y0; y < y1; y++) for (int x = x0; x < x1; x++) Set(x, y, c);
    }

    /// <summary>A filled shape whose bounding box is (x0, y0)-(x1, y1), exclusive of the far edges.</summary>
    public void Shape(string shape, int x0, int y0, int x1, int y1, (byte R, byte G, byte B) c)
    {
        double cx = (x0 + x1) / 2.0, cy = (y0 + y1) / 2.0, rx = (x1 - x0) / 2.0, ry = (y1 - y0) / 2.0;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
            {
                double u = (x + 0.5 - cx) / rx, v = (y + 0.5 - cy) / ry;
                bool inside = shape switch
                {
                    "circle" => u * u + v * v <= 1,
                    "ring" => u * u + v * v <= 1 && u * u + v * v >= 0.35,
                    "triangle" => v >= -1 && Math.Abs(u) <= (v + 1) / 2,
                    "cross" => Math.Abs(u) <= 0.3 || Math.Abs(v) <= 0.3,
                    _ => true, // square
                };
                if (inside) Set(x, y, c);
            }
    }

    public void Text(string text, int x, int y, (byte R, byte G, byte B) c, int scale = 1)
    {
        foreach (var (px, py) in BitmapFont.Pixels(text, x, y, scale)) Set(px, py, c);
    }

    /// <summary>Adds uniform noise of ± amplitude to every channel.</summary>
    public void Noise(Random random, int amplitude)
    {
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)Math.Clamp(rgb[i] + random.Next(-amplitude, amplitude + 1), 0, 255);
    }

    /// <summary>A 3×3 box blur, applied <paramref name="passes"/> times (VizWiz-like camera blur).</summary>
    public void Blur(int passes)
    {
        for (int p = 0; p < passes; p++)
        {
            var source = (byte[])rgb.Clone();
            for (int y = 0; y < Size; y++)
                for (int x = 0; x < Size; x++)
                    for (int ch = 0; ch < 3; ch++)
                    {
                        int sum = 0, count = 0;
                        for (int dy = -1; dy <= 1; dy++)
                            for (int dx = -1; dx <= 1; dx++)
                            {
                                int xx = x + dx, yy = y + dy;
                                if (xx < 0 || yy < 0 || xx >= Size || yy >= Size) continue;
                                sum += source[(yy * Size + xx) * 3 + ch];
                                count++;
                            }
                        rgb[(y * Size + x) * 3 + ch] = (byte)(sum / count);
                    }
        }
    }

    /// <summary>Scales every channel by factor/256 (under-exposure).</summary>
    public void Darken(int factor)
    {
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)(rgb[i] * factor / 256);
    }

    public void SavePng(string path)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(Size, Size, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var pixels = new byte[Size * Size * 4];
        for (int i = 0, j = 0; i < rgb.Length; i += 3, j += 4)
            (pixels[j], pixels[j + 1], pixels[j + 2], pixels[j + 3]) = (rgb[i], rgb[i + 1], rgb[i + 2], 255);
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }
}
