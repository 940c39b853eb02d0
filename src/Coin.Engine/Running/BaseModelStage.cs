using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Engine.Checkpoints;
using Coin.Engine.Composition;
using Coin.Engine.Configuration;
using Coin.Engine.Modeling;
using Coin.Engine.Results;
using Coin.Engine.Runtime;

namespace Coin.Engine.Running;

/// <summary>LLaVA's two stages before the stream: first every parameter of encoder, connector and backbone trained on
/// the source's image–caption data; then, when <c>pretraining.instructions</c> has epochs and the source offers an
/// instruction mix, the components it lists (LLaVA-1.5: projector and LLM) tuned on that mix; both before the adapter
/// is applied. The result is cached under a key that covers
/// everything it depends on (model, data, stage settings, seed, plugin versions). Runs that share an uncached base
/// model train it once: the first locks <c>&lt;key&gt;.lock</c> beside the cache folder, the others wait for it (the
/// kernel releases the lock of a process that dies). The cache keeps the first stage's step rows too, and a run that
/// loads the base model logs them again, so its steps.csv is the same whether it trained the base model or found it.</summary>
/// <param name="checkpointEverySteps">How often a stage checkpoints into the cache entry's progress folder
/// (<see cref="BaseModelProgress"/>; <c>training.checkpointEverySteps</c>); without a cache the stages are not
/// checkpointed.</param>
public sealed class BaseModelStage(PretrainingConfig config, IStepRecorder log, Func<string, string> resolvePath, IRunObserver observer, int seed,
    CancellationToken cancellation = default, int checkpointEverySteps = 100)
{

    private static readonly TimeSpan LockPoll = TimeSpan.FromSeconds(1);

    public const string WeightsFile = "model.safetensors";
    public const string InfoFile = "base.json";

    /// <summary>Trains or loads the base model; null when the stage is off or the source offers no first-stage data.</summary>
    /// <param name="keyMaterial">What the base model depends on; hashed into the cache folder's name.</param>
    public BaseModelInfo? Prepare(MultimodalModel model, ITaskStreamSource data, JsonNode keyMaterial)
    {
        if (!Runs(config, data)) return null;
        var source = (IPretrainingSource)data;
        string? folder = CacheFolder(config, resolvePath, keyMaterial);
        if (folder is null) return Train(model, source, null, keyMaterial);
        Directory.CreateDirectory(Path.GetDirectoryName(folder)!);
        bool told = false;
        while (true)
        {
            if (File.Exists(Path.Combine(folder, InfoFile))) return Load(model, folder);
            using (var owner = Journal.OwnerLock.TryAcquire(folder + ".lock", out var holder))
            {
                if (owner is not null)
                    return File.Exists(Path.Combine(folder, InfoFile)) ? Load(model, folder) : Train(model, source, folder, keyMaterial);
                if (!told) observer.Info($"base model: waiting for {holder?.ToString() ?? "another process"}, which is training it into {folder}");
                told = true;
            }
            cancellation.WaitHandle.WaitOne(LockPoll);
            cancellation.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Everything the base model depends on: its components with their options and plugin versions, the
    /// data source, the first stage's settings and the seed (not the adapter, which is applied afterwards).</summary>
    public static JsonNode Key(ExperimentConfig config, CompositionPlan plan)
    {
        var resolved = ResolvedConfig.ToJson(config, plan);
        var stageSettings = resolved["pretraining"]!.DeepClone().AsObject();
        stageSettings.Remove("cache");
        // float32 is how every base model was trained before the setting existed: leaving it out keeps their keys.
        if (config.Pretraining.Precision == "float32") stageSettings.Remove("precision");
        // Likewise for the settings added later, while they are off: the seed is the key's own "seed" below.
        stageSettings.Remove("seed");
        if (config.Pretraining.Instructions.Epochs == 0) stageSettings.Remove("instructions");
        // The source the stages read is the key's "data": the stream's (as it always was) or pretraining.data's.
        stageSettings.Remove("data");
        var model = resolved["model"]!.DeepClone().AsObject();
        model.Remove("adapter");
        return new JsonObject
        {
            ["seed"] = config.Pretraining.SeedOf(config.Seed),
            ["model"] = model,
            ["data"] = (plan.PretrainingData.Count == 0 ? resolved["data"] : resolved["pretraining"]!["data"])!.DeepClone(),
            ["pretraining"] = stageSettings,
            ["plugins"] = new JsonArray(plan.BaseData.Concat([plan.Backbone, plan.Connector]).Concat(plan.Encoders.Values)
                .Select(c => (JsonNode)$"{c.Plugin.Name} {c.Plugin.Version}").ToArray()),
            ["torch"] = TorchRuntime.TorchSharpVersion,
            // Bumped when the host changes how the first stage trains (2: its warmup and cosine schedule is applied),
            // so that a base model cached by an earlier host is not taken for what this one would train.
            ["stageRecipe"] = 2,
        };
    }

    private BaseModelInfo Load(MultimodalModel model, string folder)
    {
        string infoFile = Path.Combine(folder, InfoFile);
        BaseModelInfo cached;
        try
        {
            cached = JsonSerializer.Deserialize<BaseModelInfo>(Coin.Nn.Files.InputFile.ReadJsonText(infoFile, Coin.Nn.Files.InputFile.Limits.State, "base-model cache entry"), ResolvedConfig.Json) ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new Abstractions.Plugins.CoinUserException($"{infoFile}: the cached base model's description is not readable ({e.Message}); delete '{folder}' to train it again");
        }
        ModelState.Load(model, Path.Combine(folder, WeightsFile), complete: true);
        foreach (var (task, step, name, value) in Journal.StepLogFile.Read(Path.Combine(folder, Journal.StepLogFile.FileName)).Rows)
            log.Add(task, step, name, value);
        return cached with { Origin = "cache", CacheFolder = folder };
    }

    private BaseModelInfo? Train(MultimodalModel model, IPretrainingSource source, string? folder, JsonNode keyMaterial)
    {
        var samples = source.LoadPretraining();
        if (samples.Count == 0) return null;
        var instructions = config.Instructions.Epochs > 0 ? source.LoadInstructionTuning() : [];
        var firstTraining = WithCheckpoints(config.AsTraining());
        var secondTraining = WithCheckpoints(config.Instructions.AsTraining(config));
        var rows = new StepLog();
        var recorder = new BothRecorders(log, rows);

        // Continue where a stopped or killed run left this base model (the cache entry's progress folder).
        var progress = folder is null ? null : new BaseModelProgress(folder, keyMaterial);
        var saved = progress?.Read(stage => TaskTrainer.StepsFor(stage == BaseStageRows.TaskName ? samples.Count : instructions.Count, stage == BaseStageRows.TaskName ? firstTraining : secondTraining));
        if (saved is not null)
        {
            ModelState.Load(model, saved.Weights, complete: true);
            foreach (var (task, step, name, value) in saved.Rows.Rows) recorder.Add(task, step, name, value);
            observer.Info($"base model: continuing the {(saved.Position.Stage == BaseStageRows.TaskName ? "first" : "instruction")} stage at step {saved.Position.Step} from {progress!.Folder}");
        }
        TaskTrainer.ResumePoint? ResumeOf(string stage) => saved?.Position is { } p && p.Stage == stage
            ? new TaskTrainer.ResumePoint(p.Step, saved.Optimizer, p.Seconds, p.FirstLoss, p.LastLoss, p.InputSeconds) : null;

        var first = saved?.Position.FirstStage ?? TrainStage(model, ComponentNames.All, firstTraining, BaseStageRows.TaskName, "pretrain base model", samples, recorder,
            unchecked(seed * 31 - 1), 0, progress, rows, null, ResumeOf(BaseStageRows.TaskName));

        BaseStageInfo? second = null;
        if (instructions.Count > 0)
            second = TrainStage(model, config.Instructions.Train, secondTraining, BaseStageRows.InstructionTaskName, "instruction-tune base model",
                instructions, recorder, unchecked(seed * 31 - 2), first.Steps, progress, rows, first, ResumeOf(BaseStageRows.InstructionTaskName));

        var info = new BaseModelInfo("trained", folder, first.Samples, first.Steps, first.FirstLoss, first.FinalLoss, first.Seconds + (second?.Seconds ?? 0), second);
        if (folder is not null) Store(model, folder, info, keyMaterial, rows);
        progress?.Remove();
        return info;
    }

    private TrainingConfig WithCheckpoints(TrainingConfig training)
    {
        training.CheckpointEverySteps = checkpointEverySteps;
        return training;
    }

    /// <summary>One stage: the named components' parameters trained on <paramref name="samples"/>, the model's trainable
    /// set restored afterwards.</summary>
    /// <param name="progress">Where the stage checkpoints (null: it does not); <paramref name="rows"/> are the step rows
    /// the stages logged so far, and <paramref name="firstStage"/> the first stage's summary while the second runs.</param>
    private BaseStageInfo TrainStage(MultimodalModel model, IReadOnlyList<string> components, TrainingConfig training, string taskName, string title,
        IReadOnlyList<Sample> samples, IStepRecorder recorder, int shuffleSeed, long firstStep,
        BaseModelProgress? progress, StepLog rows, BaseStageInfo? firstStage, TaskTrainer.ResumePoint? resume)
    {
        var groups = ComponentNames.All.Where(components.Contains)
            .Select(c => new ParameterGroup(c, model.ComponentModules(c).SelectMany(m => m.parameters()).ToList()))
            .Where(g => g.Parameters.Count > 0).ToList();
        if (groups.Count == 0)
            throw new Abstractions.Plugins.CoinUserException($"pretraining: the {taskName} stage would train [{string.Join(", ", components)}], which have no parameters in this model");
        var previous = model.TrainableGroups;
        model.TrainableGroups = groups;
        // Frozen components must not collect gradients in this stage (the first stage trains everything).
        var frozen = ComponentNames.All.Except(components).SelectMany(c => model.ComponentModules(c)).SelectMany(m => m.parameters()).ToList();
        var wasTrainable = frozen.Select(p => p.requires_grad).ToList();
        foreach (var p in frozen) p.requires_grad = false;
        try
        {
            var task = new TaskInfo(taskName, -1, samples.SelectMany(s => s.Inputs.Select(i => i.Modality)).Distinct().ToList(), "exact-match");
            // The second stage's steps follow the first's on one axis (pretrain-loss.png, TensorBoard).
            var trainer = new TaskTrainer(model, [], training, recorder, seed, cancellation) { GlobalStep = firstStep + (resume?.Step ?? 0) };
            var checkpoints = progress is null ? null : new StageCheckpoints(progress, taskName, firstStage, model, rows);
            var summary = observer.Phase(title, TaskTrainer.StepsFor(samples.Count, training), "steps",
                sink => trainer.Train(task, samples, shuffleSeed, sink, checkpoints, resume));
            return new BaseStageInfo(samples.Count, summary.Steps, summary.FirstLoss, summary.FinalLoss, summary.Seconds);
        }
        finally
        {
            for (int i = 0; i < frozen.Count; i++) frozen[i].requires_grad = wasTrainable[i];
            model.TrainableGroups = previous;
        }
    }

    /// <summary>A stage's checkpoints, into the cache entry's progress folder.</summary>
    private sealed class StageCheckpoints(BaseModelProgress progress, string stage, BaseStageInfo? firstStage, MultimodalModel model, StepLog rows)
        : ITrainingCheckpoints
    {
        public void Write(TrainingPoint point, TorchSharp.Modules.OptimizerHelper? optimizer)
            => progress.Write(new BaseModelProgress.Position(stage, point.Step, point.Seconds, point.FirstLoss, point.LastLoss, point.InputSeconds, firstStage),
                model, optimizer ?? throw new ArgumentNullException(nameof(optimizer), "a base-model stage checkpoints only mid-stage"), rows);
    }

    private sealed class BothRecorders(IStepRecorder first, IStepRecorder second) : IStepRecorder
    {
        public void Add(string task, long step, string name, double value)
        {
            first.Add(task, step, name, value);
            second.Add(task, step, name, value);
        }
    }

    /// <summary>Weights and description into a staging folder, then one rename: a folder with base.json is complete.</summary>
    private static void Store(MultimodalModel model, string folder, BaseModelInfo info, JsonNode keyMaterial, StepLog rows)
    {
        string staging = folder + $".partial-{Environment.ProcessId}";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        ModelState.Save(model, Path.Combine(staging, WeightsFile));
        using (var steps = Journal.StepLogFile.Open(staging, 0))
            foreach (var (task, step, name, value) in rows.Rows) steps.Add(task, step, name, value);
        var json = JsonSerializer.SerializeToNode(info with { Origin = "trained", CacheFolder = null }, ResolvedConfig.Json)!.AsObject();
        json["key"] = keyMaterial.DeepClone();
        File.WriteAllText(Path.Combine(staging, InfoFile), json.ToJsonString(ResolvedConfig.Json));
        try
        {
            Directory.Move(staging, folder);
        }
        catch (IOException) when (File.Exists(Path.Combine(folder, InfoFile)))
        {
            // Another run stored the same base model first; theirs is identical.
            Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Whether the stage runs: it is on, and the source offers first-stage data.</summary>
    public static bool Runs(PretrainingConfig config, ITaskStreamSource data) => config.Epochs > 0 && data is IPretrainingSource;

    /// <summary>Where the base model for <paramref name="keyMaterial"/> is (or will be) cached; null without a cache.</summary>
    public static string? CacheFolder(PretrainingConfig config, Func<string, string> resolvePath, JsonNode keyMaterial)
        => config.Cache switch
        {
            // The configuration system reads JSON null as an empty value: both mean "not set".
            null or "" => Path.Combine(Caching.UserCache.BaseModels, Key(keyMaterial)),
            PretrainingConfig.NoCache => null,
            string folder => Path.Combine(resolvePath(folder), Key(keyMaterial)),
        };

    /// <summary>True when a finished base model is in <paramref name="folder"/>.</summary>
    public static bool IsCached(string folder) => File.Exists(Path.Combine(folder, InfoFile));

    private static string Key(JsonNode keyMaterial)
        => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(keyMaterial.ToJsonString())))[..16];
}
