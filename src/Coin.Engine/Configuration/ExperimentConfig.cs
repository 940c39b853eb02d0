using System.ComponentModel.DataAnnotations;

namespace Coin.Engine.Configuration;

/// <summary>One experiment file. Every value has a default, so <c>{}</c> is the built-in default experiment
/// (experiments/default.json spells it out; a test keeps the two equal).</summary>
public sealed class ExperimentConfig
{
    /// <summary>Name of the run; the run folder is <c>{output}/{name}-{timestamp}</c>.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "a run needs a name (letters, digits, '.', '_' or '-')")]
    [RegularExpression("^[A-Za-z0-9_][A-Za-z0-9._-]*$", ErrorMessage = "use letters, digits, '.', '_' or '-', not starting with '.' or '-'")]
    public string Name { get; set; } = "default";

    [Range(0, int.MaxValue)] public int Seed { get; set; } = 1;

    /// <summary><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    [RegularExpression("^(cpu|cuda(:[0-9]+)?)$", ErrorMessage = "expected cpu, cuda or cuda:N")]
    public string Device { get; set; } = "cpu";

    /// <summary>Folder that receives run folders: relative to the experiment file's folder, as every path in the file is;
    /// given as <c>--output DIR</c>, relative to the current directory.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "a run needs a folder for its run folders")]
    public string Output { get; set; } = "runs";

    /// <summary>Torch intra-op threads; 0 uses every core.</summary>
    [Range(0, 1024)] public int Threads { get; set; }

    /// <summary>Values for <c>${name}</c> in paths.</summary>
    public Dictionary<string, string> Variables { get; set; } = [];

    public PluginsConfig Plugins { get; set; } = new();
    public ModelConfig Model { get; set; } = new();
    public PretrainingConfig Pretraining { get; set; } = new();
    public TrainingConfig Training { get; set; } = new();
    public ComponentConfig Balance { get; set; } = new("constant");
    /// <summary>The method against forgetting, or several in the order their hooks run (<c>[{"type": "replay"},
    /// {"type": "llaca"}]</c>); the balance scheduler's hooks run after theirs.</summary>
    public ComponentList Continual { get; set; } = [new("sequential")];

    /// <summary>The task stream: by default mini-CoIN, CoIN's eight tasks generated in miniature.</summary>
    public DataSourceConfig Data { get; set; } = new("mini-coin");

    public EvaluationConfig Evaluation { get; set; } = new();
    public ReportingConfig Reporting { get; set; } = new();
}

/// <summary>What a run writes besides results.json, steps.csv, the report and the plots.</summary>
public sealed class ReportingConfig
{
    /// <summary>TensorBoard event files in the run folder's <c>tensorboard/</c>: step scalars, evaluations,
    /// continual metrics and the accuracy-matrix heatmap (<c>tensorboard --logdir runs</c>).</summary>
    public bool Tensorboard { get; set; } = true;
}

public sealed class PluginsConfig
{
    /// <summary>Plugin directories besides the host's own plugins/ folder; each subfolder is one plugin.</summary>
    public List<string> Directories { get; set; } = [];
}

public sealed class ModelConfig
{
    public ComponentConfig Backbone { get; set; } = new("llama");

    /// <summary>Encoders by modality (<c>image</c>, <c>audio</c>).</summary>
    public Dictionary<string, ComponentConfig> Encoders { get; set; } = new() { ["image"] = new("tiny-cnn") };

    /// <summary>The connector type; one instance per encoder.</summary>
    public ComponentConfig Connector { get; set; } = new("mlp2x-gelu");

    public ComponentConfig Adapter { get; set; } = new("full");
}

public sealed class TrainingConfig
{
    [Range(1, 10_000)] public int Epochs { get; set; } = 4;
    [Range(1, 65_536)] public int BatchSize { get; set; } = 16;
    /// <summary>Micro-batches of <see cref="BatchSize"/> whose gradients are summed into one optimiser step.</summary>
    [Range(1, 4096)] public int GradientAccumulation { get; set; } = 1;

    [Range(0.0, 10.0)] public double LearningRate { get; set; } = 1e-3;

    /// <summary>Per-component base learning rates (<c>encoder</c>, <c>connector</c>, <c>backbone</c>); a
    /// component not listed uses <see cref="LearningRate"/>.</summary>
    public Dictionary<string, double> LearningRates { get; set; } = [];

    [Range(0.0, 10.0)] public double WeightDecay { get; set; }

    /// <summary>Learning-rate schedule within each task: <c>constant</c>, or <c>cosine</c> decay to 0 (LLaVA's).</summary>
    [RegularExpression("^(constant|cosine)$", ErrorMessage = "expected constant or cosine")]
    public string Schedule { get; set; } = "constant";

    /// <summary>Share of each task's steps with a linear warmup from 0 (LLaVA uses 0.03).</summary>
    [Range(0.0, 1.0)] public double WarmupRatio { get; set; }

    /// <summary>Gradient clipping by total norm; 0 turns it off.</summary>
    [Range(0.0, 1e6)] public double MaxGradNorm { get; set; } = 1.0;

    /// <summary><c>float32</c>, or <c>bfloat16</c>: mixed precision — matrix products and attention in bfloat16,
    /// normalisation, softmax over the vocabulary, losses and the optimiser in float32, trainable parameters kept as
    /// float32 master weights and frozen linear weights stored in bfloat16 (docs/performance.md).</summary>
    [RegularExpression("^(float32|bfloat16)$", ErrorMessage = "expected float32 or bfloat16")]
    public string Precision { get; set; } = "float32";

    /// <summary>Memory (MiB) for encoder inputs prepared once per file (decoded, resized, normalised) and reused by
    /// later epochs, tasks and evaluations; 0 prepares every input every time.</summary>
    [Range(0, 1 << 20)] public int PreparedCacheMiB { get; set; } = 1024;

    /// <summary>A checkpoint every this many steps within a task (one is always written when a task starts and when
    /// Ctrl+C stops the run); 0 for task starts only.</summary>
    [Range(0, int.MaxValue)] public int CheckpointEverySteps { get; set; } = 100;

    /// <summary>Activation checkpointing: each decoder layer (and a vision tower's, when it trains) keeps only its
    /// input during the forward pass and recomputes the rest in the backward pass — about a third more compute for
    /// activations that no longer grow with the number of layers. Gradients are those without it (docs/scale.md).</summary>
    public bool ActivationCheckpointing { get; set; }
}

/// <summary>The base model's first stage (LLaVA's feature alignment), trained before the stream when the data source
/// offers first-stage data, and cached so every method and run with the same model, data and seed starts from the
/// same base — as every CoIN method starts from the same LLaVA checkpoint.</summary>
public sealed class PretrainingConfig
{
    /// <summary>Passes over the first-stage data; 0 skips the stage.</summary>
    [Range(0, 10_000)] public int Epochs { get; set; } = 2;
    [Range(1, 65_536)] public int BatchSize { get; set; } = 16;
    [Range(0.0, 10.0)] public double LearningRate { get; set; } = 1e-3;

    [RegularExpression("^(constant|cosine)$", ErrorMessage = "expected constant or cosine")]
    public string Schedule { get; set; } = "cosine";

    [Range(0.0, 1.0)] public double WarmupRatio { get; set; } = 0.03;
    [Range(0.0, 1e6)] public double MaxGradNorm { get; set; } = 1.0;

    /// <summary><c>float32</c>, or <c>bfloat16</c>: mixed precision — matrix products and attention in bfloat16,
    /// normalisation, softmax over the vocabulary, losses and the optimiser in float32, trainable parameters kept as
    /// float32 master weights and every parameter trains in this stage (docs/performance.md).</summary>
    [RegularExpression("^(float32|bfloat16)$", ErrorMessage = "expected float32 or bfloat16")]
    public string Precision { get; set; } = "float32";

    /// <summary>Folder of cached base models (one subfolder per model, data, stage settings and seed), relative to
    /// the experiment file; unset (null), the user-level cache's <c>base-models</c> ($COIN_HOME, else
    /// $XDG_CACHE_HOME/coin, else ~/.cache/coin), shared by every run on the machine; <c>none</c> trains the base
    /// model in every run.</summary>
    public string? Cache { get; set; }

    /// <summary>The <see cref="Cache"/> value that turns the cache off.</summary>
    public const string NoCache = "none";

    /// <summary>Seed of the base model (its initial weights and both stages' sample order); null uses the experiment's
    /// seed. Set it to share one base model among runs of several seeds, as every CoIN run starts from the one
    /// published LLaVA-1.5: the runs then differ in what happens after the base (adapter initialisation, sample
    /// order, dropout), not in where they start. Fix the data's seed too (<c>data.options.seed</c>), since the base
    /// model is trained on the data.</summary>
    [Range(0, int.MaxValue)] public int? Seed { get; set; }

    /// <summary>The seed the base model is made with in a run of <paramref name="runSeed"/>.</summary>
    public int SeedOf(int runSeed) => Seed ?? runSeed;

    /// <summary>The base model's second stage (LLaVA's visual instruction tuning), after the first: off unless its
    /// epochs are above 0 and the source offers instruction data.</summary>
    public InstructionStageConfig Instructions { get; set; } = new();

    /// <summary>Where both stages' data come from: a data plugin that offers first-stage data (mini-coin, or
    /// coin-files with <c>pretrain</c> and <c>instructions</c>), or a list of them, whose samples are read in list
    /// order as one set; unset, the stream's own <c>data</c>. Set, the base model depends on these sources and not on
    /// the stream, so streams of other tasks start from one base model, as CoIN's and other benchmarks' streams all
    /// start from the one LLaVA-1.5.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public ComponentList? Data { get; set; }

    public TrainingConfig AsTraining() => new()
    {
        Epochs = Epochs, BatchSize = BatchSize, LearningRate = LearningRate, Schedule = Schedule, WarmupRatio = WarmupRatio, MaxGradNorm = MaxGradNorm,
        Precision = Precision,
    };
}

/// <summary>LLaVA's second stage: the base model tuned on a general instruction mix (not the stream's tasks), with the
/// components in <see cref="Train"/> trainable — LLaVA-1.5 trains the projector and the LLM and keeps the vision
/// tower frozen. Precision and gradient clipping are the first stage's.</summary>
public sealed class InstructionStageConfig : IValidatableObject
{
    /// <summary>Passes over the instruction data; 0 (the default) skips the stage.</summary>
    [Range(0, 10_000)] public int Epochs { get; set; }
    [Range(1, 65_536)] public int BatchSize { get; set; } = 16;
    [Range(0.0, 10.0)] public double LearningRate { get; set; } = 1e-3;

    [RegularExpression("^(constant|cosine)$", ErrorMessage = "expected constant or cosine")]
    public string Schedule { get; set; } = "cosine";

    [Range(0.0, 1.0)] public double WarmupRatio { get; set; } = 0.03;

    /// <summary>The components trained in this stage (<c>encoder</c>, <c>connector</c>, <c>backbone</c>).</summary>
    public List<string> Train { get; set; } = ["connector", "backbone"];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (string part in Train.Where(p => !Coin.Abstractions.Components.ComponentNames.All.Contains(p)))
            yield return new ValidationResult($"unknown component '{part}'; accepted: {string.Join(", ", Coin.Abstractions.Components.ComponentNames.All)}", [nameof(Train)]);
        if (Epochs > 0 && Train.Count == 0) yield return new ValidationResult("the stage trains nothing; list at least one component", [nameof(Train)]);
    }

    public TrainingConfig AsTraining(PretrainingConfig stage) => new()
    {
        Epochs = Epochs, BatchSize = BatchSize, LearningRate = LearningRate, Schedule = Schedule, WarmupRatio = WarmupRatio,
        MaxGradNorm = stage.MaxGradNorm, Precision = stage.Precision,
    };
}

public sealed class EvaluationConfig
{
    /// <summary><c>task-agnostic</c> (the default, as CoIN evaluates): a method that routes samples (a LoRA bank) must
    /// infer each sample's task; <c>task-aware</c>: it is told the task of each batch. Recorded with the results.</summary>
    [RegularExpression("^(task-agnostic|task-aware)$", ErrorMessage = "expected task-agnostic or task-aware")]
    public string Protocol { get; set; } = DefaultProtocol;

    public const string DefaultProtocol = "task-agnostic";

    /// <summary>The evaluator used for every task.</summary>
    public ComponentConfig Evaluator { get; set; } = new("coin");
    [Range(1, 65_536)] public int BatchSize { get; set; } = 64;
    /// <summary>Longest answer generated; a grounding box is about 24 tokens.</summary>
    [Range(1, 4096)] public int MaxNewTokens { get; set; } = 32;

    /// <summary>0 decodes greedily (as CoIN evaluates); above 0, answers are sampled at this temperature.</summary>
    [Range(0.0, 100.0)] public double Temperature { get; set; }

    /// <summary>Nucleus sampling threshold, used when temperature is above 0.</summary>
    [Range(0.0, 1.0)] public double TopP { get; set; } = 1.0;

    /// <summary>Evaluate every task once before training (the zero-shot row), which forward transfer needs.</summary>
    public bool ZeroShot { get; set; } = true;

    /// <summary>An answer ends where one of these strings appears (the string itself is cut).</summary>
    public List<string> StopStrings { get; set; } = [];

    /// <summary><c>float32</c>, or <c>bfloat16</c>: generation's matrix products and attention in bfloat16, the
    /// logits and the choice of each token in float32.</summary>
    [RegularExpression("^(float32|bfloat16)$", ErrorMessage = "expected float32 or bfloat16")]
    public string Precision { get; set; } = "float32";
}
