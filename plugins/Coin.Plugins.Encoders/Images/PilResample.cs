namespace Coin.Plugins.Encoders.Images;

/// <summary>Pillow's bicubic resize of an 8-bit RGB image (Resample.c: the a = −0.5 cubic kernel widened by the
/// downscaling factor, weights normalised then rounded to 22-bit fixed point, a horizontal then a vertical pass with
/// 8-bit rounding and clipping between them), so that images come out of it as they come out of PIL, which
/// Hugging Face's image processors and LLaVA use.</summary>
internal static class PilResample
{
    private const int PrecisionBits = 32 - 8 - 2;
    private const double Support = 2.0;

    private static double Bicubic(double x)
    {
        const double a = -0.5;
        if (x < 0.0) x = -x;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    /// <param name="rgb">height × width × 3 bytes, row-major.</param>
    public static byte[] Resize(byte[] rgb, int width, int height, int newWidth, int newHeight)
    {
        if (width == newWidth && height == newHeight) return rgb;
        var (boundsY, kernelY, sizeY) = Coefficients(height, newHeight);
        // Only the rows the vertical pass reads are computed horizontally (as Pillow does; the values are the same).
        int firstRow = boundsY[0], lastRow = boundsY[(newHeight - 1) * 2] + boundsY[(newHeight - 1) * 2 + 1];
        byte[] source = rgb;
        int rows = height, rowOffset = 0;
        if (newWidth != width)
        {
            var (boundsX, kernelX, sizeX) = Coefficients(width, newWidth);
            rows = lastRow - firstRow;
            var temp = new byte[rows * newWidth * 3];
            for (int y = 0; y < rows; y++)
                for (int x = 0; x < newWidth; x++)
                {
                    int min = boundsX[x * 2], count = boundsX[x * 2 + 1];
                    for (int c = 0; c < 3; c++)
                    {
                        int sum = 1 << (PrecisionBits - 1);
                        for (int i = 0; i < count; i++) sum += rgb[((y + firstRow) * width + min + i) * 3 + c] * kernelX[x * sizeX + i];
                        temp[(y * newWidth + x) * 3 + c] = Clip8(sum);
                    }
                }
            source = temp;
            rowOffset = firstRow;
        }
        if (newHeight == height && newWidth != width) return source;
        var output = new byte[newHeight * newWidth * 3];
        for (int y = 0; y < newHeight; y++)
        {
            int min = boundsY[y * 2] - rowOffset, count = boundsY[y * 2 + 1];
            for (int x = 0; x < newWidth; x++)
                for (int c = 0; c < 3; c++)
                {
                    int sum = 1 << (PrecisionBits - 1);
                    for (int i = 0; i < count; i++) sum += source[((min + i) * newWidth + x) * 3 + c] * kernelY[y * sizeY + i];
                    output[(y * newWidth + x) * 3 + c] = Clip8(sum);
                }
        }
        return output;
    }

    private static byte Clip8(int value) => value >= 1 << PrecisionBits << 8 ? (byte)255 : value <= 0 ? (byte)0 : (byte)(value >> PrecisionBits);

    /// <summary>precompute_coeffs and normalize_coeffs_8bpc: for each output position its first input, its count, and
    /// its fixed-point weights (ksize per position).</summary>
    private static (int[] Bounds, int[] Kernel, int KernelSize) Coefficients(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize, filterScale = Math.Max(scale, 1.0);
        double support = Support * filterScale;
        int kernelSize = (int)Math.Ceiling(support) * 2 + 1;
        var bounds = new int[outSize * 2];
        var kernel = new int[outSize * kernelSize];
        var weights = new double[kernelSize];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale, total = 0.0, inverse = 1.0 / filterScale;
            int min = (int)(center - support + 0.5);
            if (min < 0) min = 0;
            int max = (int)(center + support + 0.5);
            if (max > inSize) max = inSize;
            max -= min;
            for (int x = 0; x < max; x++)
            {
                double w = Bicubic((x + min - center + 0.5) * inverse);
                weights[x] = w;
                total += w;
            }
            for (int x = 0; x < kernelSize; x++)
            {
                double k = x < max && total != 0.0 ? weights[x] / total : 0.0;
                kernel[xx * kernelSize + x] = k < 0 ? (int)(-0.5 + k * (1 << PrecisionBits)) : (int)(0.5 + k * (1 << PrecisionBits));
            }
            bounds[xx * 2] = min;
            bounds[xx * 2 + 1] = max;
        }
        return (bounds, kernel, kernelSize);
    }
}
