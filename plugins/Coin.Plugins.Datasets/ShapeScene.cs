namespace Coin.Plugins.Datasets;

/// <summary>One coloured shape on a noisy dark background, rendered as [3, size, size] floats in 0..1.</summary>
internal sealed record ShapeScene(string Shape, string Color, string Side, float[] Pixels)
{
    private static readonly (string Name, float R, float G, float B)[] Palette =
    [
        ("red", 0.9f, 0.1f, 0.1f), ("green", 0.1f, 0.8f, 0.2f), ("blue", 0.15f, 0.3f, 0.95f),
        ("yellow", 0.95f, 0.9f, 0.1f), ("purple", 0.6f, 0.2f, 0.8f),
    ];
    private static readonly string[] Shapes = ["circle", "square", "triangle"];

    public static ShapeScene Draw(Random random, int size)
    {
        var (colorName, r, g, b) = Palette[random.Next(Palette.Length)];
        string shape = Shapes[random.Next(Shapes.Length)];
        bool left = random.Next(2) == 0;
        float radius = size * (0.2f + 0.06f * random.NextSingle());
        float cx = left ? size * (0.24f + 0.06f * random.NextSingle()) : size * (0.7f + 0.06f * random.NextSingle());
        float cy = size * (0.3f + 0.4f * random.NextSingle());

        int plane = size * size;
        var pixels = new float[3 * plane];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                int i = y * size + x;
                bool inside = Inside(shape, x + 0.5f - cx, y + 0.5f - cy, radius);
                float noise = 0.06f * (random.NextSingle() - 0.5f);
                pixels[i] = Math.Clamp((inside ? r : 0.15f) + noise, 0, 1);
                pixels[plane + i] = Math.Clamp((inside ? g : 0.15f) + noise, 0, 1);
                pixels[2 * plane + i] = Math.Clamp((inside ? b : 0.15f) + noise, 0, 1);
            }
        return new ShapeScene(shape, colorName, left ? "left" : "right", pixels);
    }

    private static bool Inside(string shape, float dx, float dy, float radius) => shape switch
    {
        "circle" => dx * dx + dy * dy <= radius * radius,
        "square" => Math.Abs(dx) <= radius * 0.85f && Math.Abs(dy) <= radius * 0.85f,
        // Upward triangle: apex at top, base at the bottom, width growing with depth.
        _ => dy >= -radius && dy <= radius * 0.8f && Math.Abs(dx) <= (dy + radius) * 0.6f,
    };
}
