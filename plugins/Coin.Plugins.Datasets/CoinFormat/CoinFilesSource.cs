using System.ComponentModel.DataAnnotations;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Nn.Files;

namespace Coin.Plugins.Datasets.CoinFormat;

/// <summary>One task's files in a <c>coin-files</c> stream.</summary>
internal sealed class CoinTaskFiles
{
    [Required] public string Name { get; set; } = "";
    [Required] public string Train { get; set; } = "";
    [Required] public string Test { get; set; } = "";

    /// <summary>CoIN's per-task metrics, the names the coin evaluator scores by.</summary>
    public static readonly string[] Metrics = MetricAlternatives.Split('|');

    private const string MetricAlternatives = "option-letter|vqa-soft|substring|exact-match|exact-match-gqa|exact-match-ocr|grounding-iou";

    /// <summary>The metric the coin evaluator uses for it (one of <see cref="Metrics"/>). Checked here, since an
    /// evaluator that scores every task alike ignores it: a misspelt one would otherwise pass unnoticed.</summary>
    [RegularExpression("^(" + MetricAlternatives + ")$",
        ErrorMessage = "expected one of CoIN's metrics: option-letter, vqa-soft, substring, exact-match, exact-match-gqa, exact-match-ocr, grounding-iou")]
    public string Metric { get; set; } = "exact-match";

    public string Modality { get; set; } = "image";
}

internal sealed class CoinFilesOptions : IValidatableObject
{
    /// <summary>Folder the task files are relative to (may use <c>${variables}</c>).</summary>
    [Required] public string Root { get; set; } = "";

    /// <summary>Folder the image and audio paths in the files are relative to (resolved like every path, against
    /// the experiment file); empty means the root.</summary>
    public string MediaFolder { get; set; } = "";

    /// <summary>The tasks in training order.</summary>
    public List<CoinTaskFiles> Tasks { get; set; } = [];

    /// <summary><c>fail</c>: a bad row stops the run naming file, row and field; <c>skip</c>: it is left out and counted.</summary>
    [RegularExpression("^(fail|skip)$", ErrorMessage = "expected fail or skip")]
    public string OnInvalidRow { get; set; } = "fail";

    /// <summary>Optional first-stage file in LLaVA's conversation format (e.g. image–caption pairs), relative to the
    /// root: the host trains the base model on it before the stream (see <c>pretraining</c>).</summary>
    public string Pretrain { get; set; } = "";

    /// <summary>Optional second-stage file in LLaVA's conversation format (LLaVA-1.5's instruction mix), relative to
    /// the root: the base model is tuned on it after the first stage (see <c>pretraining.instructions</c>).</summary>
    public string Instructions { get; set; } = "";

    /// <summary>Fields to accept and ignore besides the known ones.</summary>
    public List<string> IgnoreFields { get; set; } = [];

    /// <summary>Media paths may leave the media folder (e.g. "../shared/img.png"); off by default, so a row cannot
    /// make the run read any file on the machine.</summary>
    public bool AllowMediaOutsideFolder { get; set; }

    /// <summary>Task files (train, test, pretrain, instructions) may lie outside the root, e.g. an absolute path;
    /// off by default, so an experiment cannot make the run parse any file on the machine. Judged by real paths, so a
    /// link inside the root to a file elsewhere is elsewhere.</summary>
    public bool AllowFilesOutsideRoot { get; set; }

    /// <summary>Largest image accepted (width × height, read from the header before decoding); a larger one is an
    /// invalid row.</summary>
    [Range(1, long.MaxValue)] public long MaxImagePixels { get; set; } = MediaCheck.Default.MaxImagePixels;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // A source of the base model's stages alone (pretraining.data) needs no task; the host refuses a stream without any.
        if (Tasks.Count == 0 && Pretrain.Length == 0 && Instructions.Length == 0)
            yield return new ValidationResult("at least one task is needed (or, for pretraining.data, a pretrain or instructions file)", [nameof(Tasks)]);
        foreach (var name in Tasks.GroupBy(t => t.Name).Where(g => g.Count() > 1).Select(g => g.Key))
            yield return new ValidationResult($"task '{name}' is listed twice", [nameof(Tasks)]);
    }
}

/// <summary>A task stream read from CoIN / LLaVA files; samples are read once per task and kept.</summary>
internal sealed class CoinFilesSource : ITaskStreamSource, IPretrainingSource
{
    private readonly string root;
    private readonly string? pretrainFile;
    private readonly string? instructionFile;
    private readonly CoinFileReader reader;
    private readonly IReadOnlyList<CoinTaskFiles> files;
    private readonly Dictionary<string, IReadOnlyList<Sample>> cache = [];
    private readonly bool allowFilesOutsideRoot;

    public CoinFilesSource(string root, string mediaFolder, IReadOnlyList<CoinTaskFiles> files, bool skipInvalid, IReadOnlyCollection<string> ignoreFields, Action<string> warn,
        string? pretrainFile = null, MediaCheck.Limits? mediaLimits = null, string? instructionFile = null, bool allowFilesOutsideRoot = false)
    {
        if (!Directory.Exists(root)) throw new CoinOptionException("root", $"folder '{root}' does not exist");
        this.root = root;
        this.files = files;
        this.allowFilesOutsideRoot = allowFilesOutsideRoot;
        this.pretrainFile = string.IsNullOrEmpty(pretrainFile) ? null : Contained(pretrainFile, "pretrain");
        this.instructionFile = string.IsNullOrEmpty(instructionFile) ? null : Contained(instructionFile, "instructions");
        for (int i = 0; i < files.Count; i++)
        {
            Contained(files[i].Train, $"tasks[{i}].train");
            Contained(files[i].Test, $"tasks[{i}].test");
        }
        reader = new CoinFileReader(mediaFolder, skipInvalid, ignoreFields, warn, mediaLimits);
        Tasks = files.Select((f, i) => new TaskInfo(f.Name, i, [f.Modality], f.Metric)).ToList();
    }

    public IReadOnlyList<TaskInfo> Tasks { get; }

    public IReadOnlyList<Sample> LoadTrain(TaskInfo task) => Cached(task, "train", f => reader.ReadTrain(task.Name, Path.GetFullPath(f.Train, root)));

    public IReadOnlyList<Sample> LoadTest(TaskInfo task) => Cached(task, "test", f => reader.ReadTest(task.Name, Path.GetFullPath(f.Test, root)));

    /// <summary>The file's path under the root, refused when its real path leaves the root (unless allowed).</summary>
    private string Contained(string file, string option)
    {
        if (file.Contains('\0')) throw new CoinOptionException(option, "the path holds a NUL character, which no file name can");
        string path = Path.GetFullPath(file, root);
        if (!allowFilesOutsideRoot && !InputFile.IsInside(path, root))
            throw new CoinOptionException(option, $"'{file}' is outside the data root {root} (set the option allowFilesOutsideRoot to allow it)");
        return path;
    }

    public IReadOnlyList<Sample> LoadPretraining() => pretrainFile is null ? [] : reader.ReadTrain("pretrain", pretrainFile);

    public IReadOnlyList<Sample> LoadInstructionTuning() => instructionFile is null ? [] : reader.ReadTrain("instructions", instructionFile);

    private IReadOnlyList<Sample> Cached(TaskInfo task, string split, Func<CoinTaskFiles, IReadOnlyList<Sample>> read)
    {
        string key = $"{task.Name}/{split}";
        return cache.TryGetValue(key, out var samples) ? samples : cache[key] = read(files.Single(f => f.Name == task.Name));
    }
}

[CoinPlugin(PluginKind.TaskStream, "coin-files", "0.5.0", "CoIN / LLaVA files: train conversations and test rows, media relative to a folder")]
internal sealed class CoinFilesSourcePlugin : PluginFactory<ITaskStreamSource, CoinFilesOptions>
{
    protected override ITaskStreamSource Create(CoinFilesOptions options, ComponentContext context)
    {
        string root = context.ResolvePath(options.Root);
        string media = options.MediaFolder.Length == 0 ? root : context.ResolvePath(options.MediaFolder);
        return new CoinFilesSource(root, media, options.Tasks, options.OnInvalidRow == "skip", options.IgnoreFields, context.Warn, options.Pretrain,
            new MediaCheck.Limits(options.AllowMediaOutsideFolder, options.MaxImagePixels), options.Instructions, options.AllowFilesOutsideRoot);
    }
}
