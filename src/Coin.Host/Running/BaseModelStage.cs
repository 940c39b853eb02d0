using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Host.Checkpoints;
using Coin.Host.Configuration;
using Coin.Host.Modeling;
using Coin.Host.Presentation;
using Coin.Host.Results;
using Spectre.Console;

namespace Coin.Host.Running;

/// <summary>What the run started from: a base model trained on the source's first-stage data in this run, or loaded
/// from the cache where an earlier run with the same settings left it.</summary>
public sealed record BaseModelInfo(string Origin, string? CacheFolder, int Samples, int Steps, double FirstLoss, double FinalLoss, double Seconds);

/// <summary>LLaVA's first stage before the stream: every parameter of encoder, connector and backbone trained on the
/// source's image–caption data, before the adapter is applied. The result is cached under a key that covers
/// everything it depends on (model, data, stage settings, seed, plugin versions). Runs that share an uncached base
/// model train it once: the first locks <c>&lt;key&gt;.lock</c> beside the cache folder, the others wait for it (the
/// kernel releases the lock of a process that dies). The cache keeps the first stage's step rows too, and a run that
/// loads the base model logs them again, so its steps.csv is the same whether it trained the base model or found it.</summary>
public sealed class BaseModelStage(PretrainingConfig config, IStepRecorder log, Func<string, string> resolvePath, IAnsiConsole console, int seed,
    CancellationToken cancellation = default)
{
    /// <summary>The task name of the first stage's step-log rows (plots and TensorBoard put them on their own axis).</summary>
    public const string TaskName = "pretrain";

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
                if (!told) console.MarkupLineInterpolated($"base model: waiting for {holder?.ToString() ?? "another process"}, which is training it into {folder}");
                told = true;
            }
            cancellation.WaitHandle.WaitOne(LockPoll);
            cancellation.ThrowIfCancellationRequested();
        }
    }

    private BaseModelInfo Load(MultimodalModel model, string folder)
    {
        string infoFile = Path.Combine(folder, InfoFile);
        BaseModelInfo cached;
        try
        {
            cached = JsonSerializer.Deserialize<BaseModelInfo>(File.ReadAllText(infoFile), ResolvedConfig.Json) ?? throw new JsonException("empty");
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

        var groups = ComponentNames.All
            .Select(c => new ParameterGroup(c, model.ComponentModules(c).SelectMany(m => m.parameters()).ToList()))
            .Where(g => g.Parameters.Count > 0).ToList();
        var previous = model.TrainableGroups;
        model.TrainableGroups = groups;
        var training = config.AsTraining();
        var task = new TaskInfo(TaskName, -1, samples.SelectMany(s => s.Inputs.Select(i => i.Modality)).Distinct().ToList(), "exact-match");
        var rows = new StepLog();
        var trainer = new TaskTrainer(model, null, null, training, new BothRecorders(log, rows), seed, cancellation);
        var summary = ConsoleProgress.Run(console, "pretrain base model", TaskTrainer.StepsFor(samples.Count, training), "steps",
            sink => trainer.Train(task, samples, unchecked(seed * 31 - 1), sink));
        model.TrainableGroups = previous;

        var info = new BaseModelInfo("trained", folder, samples.Count, summary.Steps, summary.FirstLoss, summary.FinalLoss, summary.Seconds);
        if (folder is not null) Store(model, folder, info, keyMaterial, rows);
        return info;
    }

    /// <summary>Weights and description into a staging folder, then one rename: a folder with base.json is complete.</summary>
    private sealed class BothRecorders(IStepRecorder first, IStepRecorder second) : IStepRecorder
    {
        public void Add(string task, long step, string name, double value)
        {
            first.Add(task, step, name, value);
            second.Add(task, step, name, value);
        }
    }

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
        => config.Cache.Length == 0 ? null : Path.Combine(resolvePath(config.Cache), Key(keyMaterial));

    /// <summary>True when a finished base model is in <paramref name="folder"/>.</summary>
    public static bool IsCached(string folder) => File.Exists(Path.Combine(folder, InfoFile));

    private static string Key(JsonNode keyMaterial)
        => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(keyMaterial.ToJsonString())))[..16];
}
