using System.ComponentModel.DataAnnotations;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Plugins.Datasets.CoinFormat;

namespace Coin.Plugins.Datasets.MiniCoin;

internal sealed class MiniCoinOptions : IValidatableObject
{
    /// <summary>Tasks in training order; the default is CoIN's eight in CoIN's order. <c>Tones</c> (audio) needs an
    /// audio encoder in the model.</summary>
    public List<string> Tasks { get; set; } = [.. MiniCoinGenerator.DefaultStream];

    [Range(1, 1_000_000)] public int TrainPerTask { get; set; } = 1200;
    [Range(1, 1_000_000)] public int TestPerTask { get; set; } = 96;
    [Range(16, 512)] public int ImageSize { get; set; } = 32;

    /// <summary>Image–caption pairs for the base model's first stage (LLaVA's feature alignment); 0 for none.</summary>
    [Range(0, 10_000_000)] public int PretrainSamples { get; set; } = 16000;

    /// <summary>General instructions for the base model's second stage (LLaVA's visual instruction tuning: describe,
    /// name, count, compare, read, yes/no, in several phrasings; none of the stream's tasks); 0 for none. Trained when
    /// <c>pretraining.instructions.epochs</c> is above 0.</summary>
    [Range(0, 10_000_000)] public int InstructionSamples { get; set; }

    /// <summary>Seed of the generator; null uses the experiment's seed.</summary>
    public int? Seed { get; set; }

    /// <summary>Where generated data is kept (one subfolder per seed and size), relative to the experiment file;
    /// unset (null), the user-level cache's <c>data/mini-coin</c> ($COIN_HOME, else $XDG_CACHE_HOME/coin, else
    /// ~/.cache/coin), shared by every run on the machine.</summary>
    public string? CacheDirectory { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var known = MiniCoinGenerator.StreamTaskNames;
        foreach (var task in Tasks.Where(t => !known.Contains(t)))
            yield return new ValidationResult($"unknown task '{task}'; accepted: {string.Join(", ", known)}", [nameof(Tasks)]);
        if (Tasks.Count == 0) yield return new ValidationResult("at least one task is needed", [nameof(Tasks)]);
        if (Tasks.Distinct().Count() != Tasks.Count) yield return new ValidationResult("a task is listed twice", [nameof(Tasks)]);
    }
}

[CoinPlugin(PluginKind.TaskStream, "mini-coin", "0.4.0", "Generated CoIN-like stream (8 image tasks in CoIN's order, an audio task, captions and an instruction mix for a base model), written in CoIN's formats")]
internal sealed class MiniCoinSourcePlugin : PluginFactory<ITaskStreamSource, MiniCoinOptions>
{
    protected override ITaskStreamSource Create(MiniCoinOptions options, ComponentContext context)
    {
        int seed = options.Seed ?? context.Seed;
        var sizes = new MiniCoinSizes(options.TrainPerTask, options.TestPerTask, options.PretrainSamples, options.ImageSize, options.InstructionSamples);
        // The configuration system reads JSON null as an empty value: both mean "not set".
        string cache = string.IsNullOrEmpty(options.CacheDirectory) ? Path.Combine(context.CacheDirectory, "data", "mini-coin") : context.ResolvePath(options.CacheDirectory);
        string folder = Path.Combine(cache, MiniCoinGenerator.FolderName(options.Tasks, seed, sizes));
        if (!File.Exists(Path.Combine(folder, MiniCoinGenerator.Manifest)))
        {
            // A plan writes nothing that outlives it: what a run would keep in the cache is generated into the plan's
            // temporary folder instead, which the host removes.
            if (context.Planning)
            {
                context.Progress($"mini-CoIN data is not in {cache} yet: generated for this plan into a temporary folder (a run keeps it in the cache)");
                folder = Path.Combine(context.RunDirectory, "mini-coin", MiniCoinGenerator.FolderName(options.Tasks, seed, sizes));
            }
            if (!File.Exists(Path.Combine(folder, MiniCoinGenerator.Manifest)))
                MiniCoinGenerator.Generate(folder, options.Tasks, seed, sizes, context.Progress);
        }
        var files = options.Tasks.Select(t => new CoinTaskFiles
        {
            Name = t, Train = $"{t}/train.json", Test = $"{t}/test.json", Metric = MiniCoinGenerator.MetricOf(t), Modality = MiniCoinGenerator.ModalityOf(t),
        }).ToList();
        return new CoinFilesSource(folder, folder, files, skipInvalid: false, [], context.Warn,
            options.PretrainSamples > 0 ? MiniCoinGenerator.PretrainFile : null,
            instructionFile: options.InstructionSamples > 0 ? MiniCoinGenerator.InstructionFile : null);
    }
}
