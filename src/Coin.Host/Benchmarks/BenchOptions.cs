namespace Coin.Host.Benchmarks;

/// <summary>What <c>coin bench</c> measures.</summary>
public sealed record BenchOptions
{
    public static readonly IReadOnlyList<string> AllSuites = ["hardware", "profile", "precision", "overhead", "generation", "memory", "frozen", "input", "products"];
    /// <summary>The suites run when none is named (<c>frozen</c> needs a model folder, <c>input</c> a folder of images,
    /// <c>products</c> runs a 7B layer's shapes for minutes).</summary>
    public IReadOnlyList<string> Suites { get; init; } = AllSuites.Where(s => s is not ("frozen" or "input" or "products")).ToList();

    /// <summary>The photographs of the input suite (<c>--images DIR</c>).</summary>
    public string? ImagesFolder { get; init; }

    /// <summary>Worker counts the input suite compares (<c>--workers N,N</c>).</summary>
    public IReadOnlyList<int> Workers { get; init; } = [1, 2];

    /// <summary>The model folder of the frozen suite (<c>--model DIR</c>).</summary>
    public string? ModelFolder { get; init; }
    public IReadOnlyList<string> Presets { get; init; } = ["tiny", "small", "d512"];

    /// <summary>Interleaved float32 / bfloat16 block pairs per preset in the hardware suite.</summary>
    public int Blocks { get; init; } = 3;

    /// <summary>Interleaved host / bare blocks in the overhead suite (the median decides).</summary>
    public int OverheadBlocks { get; init; } = 30;

    /// <summary>Steps of each loss curve in the precision suite.</summary>
    public int PrecisionSteps { get; init; } = 1000;

    /// <summary>Square matmul sizes whose best rate is the peak (the hardware suite).</summary>
    public IReadOnlyList<int> PeakSizes { get; init; } = [1024, 2048, 3072, 4096];

    /// <summary>Where suites that write files (plots, CSV) put them.</summary>
    public string OutputFolder { get; init; } = "bench";
    public int MemorySteps { get; init; } = 10_000;
    public int Steps { get; init; } = 10;
    public int BatchSize { get; init; } = 8;
    public int Tokens { get; init; } = 128;
    public int Threads { get; init; }
}
