using System.ComponentModel.DataAnnotations;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Plugins.Adapters.Lora;
using Coin.Plugins.Adapters.OLora;
using static TorchSharp.torch;

namespace Coin.Plugins.Adapters.Bank;

internal sealed class LoraBankOptions : LoraOptions
{
    /// <summary>Training samples of a finished task whose features are averaged into its prototype.</summary>
    [Range(1, 1_000_000)] public int PrototypeSamples { get; set; } = 256;

    /// <summary>What a sample's routing features are: <c>instruction</c> (the mean input embedding of its instruction's
    /// tokens), <c>inputs</c> (the model's own encoders' features of its images or audio, as HiDe-LLaVA routes on
    /// image features), or <c>both</c> (the instruction's and each modality's, each normalised, side by side: equal
    /// weight each). Under <c>inputs</c> a sample without any image or audio has no features and goes to the first task.</summary>
    [RegularExpression("^(instruction|inputs|both)$", ErrorMessage = "expected instruction, inputs or both")]
    public string RouteOn { get; set; } = "instruction";

    public override IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var result in base.Validate(validationContext)) yield return result;
        // The encoder's features would then depend on which task's LoRA is selected when they are computed.
        if (RouteOn != "instruction" && Targets.Contains(ComponentNames.Encoder))
            yield return new ValidationResult($"routeOn '{RouteOn}' reads the encoder's features, so the encoder cannot also be a LoRA target", [nameof(RouteOn)]);
    }
}

/// <summary>A per-task LoRA bank with task-agnostic routing, the MR-LoRA / HiDe-LLaVA family: each task trains its own
/// LoRA (earlier ones frozen and not applied while it trains); at its end the task gets a prototype, the mean of its
/// training instructions' features; at evaluation each sample goes to the LoRA of the task whose prototype is closest
/// (cosine), or, under the task-aware protocol, to its own task's. A task not trained yet has no LoRA: its samples are
/// answered by the base model when told (task-aware), and routed among the trained tasks otherwise.</summary>
/// <remarks>With <c>routeOn: instruction</c> (the default) a sample's features are the mean of the backbone's input
/// embeddings of its instruction's tokens (the modality placeholders left out), normalised: the task's wording is what
/// tells mini-CoIN's tasks apart. HiDe-LLaVA matches image and text features of a CLIP model; <c>inputs</c> and
/// <c>both</c> use the run's own encoders instead (each modality's features averaged over its inputs and tokens,
/// normalised), which stay the same from task to task only when the encoder is frozen, as in the papers' regime.
/// Under the task-agnostic protocol each stage's routing is written to <c>lora-bank-routing/&lt;stage&gt;.csv</c> in the
/// run folder: for each task, how many of its samples went to each task's LoRA.</remarks>
[CoinPlugin(PluginKind.Adapter, "lora-bank", "0.2.1", "A LoRA per task and a prototype router that sends each sample to its task's LoRA (task-agnostic or task-aware)")]
internal sealed class LoraBankAdapter(LoraBankOptions options, ComponentContext component)
    : TaskLoraAdapter(options, selection: new TaskSelection()), ITrainingHooks, IRoutesSamples, IDisposable
{
    private readonly List<Tensor> prototypes = [];
    private IReadOnlyList<TaskInfo> stream = [];
    private string stage = "";
    private readonly SortedDictionary<(string Task, int Routed), int> routed = [];

    private TaskSelection Bank => Selection!;

    public override IReadOnlyList<ParameterGroup> BeginTask(TaskContext context)
    {
        stream = context.Stream;
        if (options.RouteOn != "instruction" && context.Model.Encoders.Count == 0)
            throw new CoinOptionException("routeOn", $"'{options.RouteOn}' routes on the encoders' features, and this model has no encoder");
        var groups = base.BeginTask(context);
        Bank.Select(context.Task.Index);
        return groups;
    }

    public void OnTaskEnd(TaskContext context)
    {
        using var scope = NewDisposeScope();
        var features = Features(context.Model, context.TrainSamples.Take(options.PrototypeSamples).ToList());
        var prototype = nn.functional.normalize(features.mean([0]), dim: 0).detach().DetachFromDisposeScope();
        while (prototypes.Count <= context.Task.Index) prototypes.Add(zeros(prototype.shape).DetachFromDisposeScope());
        prototypes[context.Task.Index].Dispose();
        prototypes[context.Task.Index] = prototype;
    }

    public void Route(RoutingContext context)
    {
        if (context.Task is { } task)
        {
            Bank.Select(task.Index < Tasks && task.Index < prototypes.Count ? task.Index : -1);
            return;
        }
        if (prototypes.Count == 0)
        {
            Bank.Select(0);
            return;
        }
        using var scope = NewDisposeScope();
        var chosen = Choose(Features(context.Model, context.Samples), stack(prototypes));
        Bank.Select(nn.functional.one_hot(chosen, prototypes.Count).to_type(ScalarType.Float32));
        var routes = chosen.data<long>().ToArray();
        for (int i = 0; i < routes.Length; i++)
        {
            var key = (context.Samples[i].Task, (int)routes[i]);
            routed[key] = routed.GetValueOrDefault(key) + 1;
        }
        if (stage.Length > 0) WriteRouting(); // a run's evaluation stage, not coin evaluate's shard of one
    }

    /// <summary>A new stage's routing counts start from zero (and a resumed run's re-evaluated stage replaces its file).</summary>
    public void BeforeEvaluation(EvaluationContext context)
    {
        stage = context.Stage;
        routed.Clear();
    }

    /// <summary>The stage's counts so far, replacing its file: per sample task, how many went to each task's LoRA.</summary>
    private void WriteRouting()
    {
        string folder = Path.Combine(component.RunDirectory, "lora-bank-routing");
        Directory.CreateDirectory(folder);
        var text = new System.Text.StringBuilder("task,routed_to,samples\n");
        foreach (var ((task, to), count) in routed)
            text.Append(task).Append(',').Append(to < stream.Count ? stream[to].Name : $"task {to}").Append(',').Append(count).Append('\n');
        string path = Path.Combine(folder, stage + ".csv");
        File.WriteAllText(path + ".tmp", text.ToString());
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>Each row's nearest prototype by cosine similarity: [samples] int64.</summary>
    public static Tensor Choose(Tensor features, Tensor prototypes)
        => nn.functional.normalize(features, dim: 1).matmul(prototypes.t()).argmax(1);

    /// <summary>[samples, features]: what routing compares with the prototypes (see <see cref="LoraBankOptions.RouteOn"/>).</summary>
    private Tensor Features(IMultimodalModel model, IReadOnlyList<Sample> samples) => options.RouteOn switch
    {
        "inputs" => InputFeatures(model, samples),
        "both" => cat([nn.functional.normalize(InstructionFeatures(model, samples), dim: 1), InputFeatures(model, samples)], 1),
        _ => InstructionFeatures(model, samples),
    };

    /// <summary>Encoder inputs per forward pass when computing input features (a prototype reads 256 samples).</summary>
    private const int InputChunk = 64;

    /// <summary>[samples, Σ encoders' widths]: per modality (in name order), the mean of the encoder's output over a
    /// sample's inputs and tokens, normalised; zeros for a sample without that modality. Of an any-resolution image,
    /// the whole image's tile is encoded (the tiles add detail, not a different picture).</summary>
    public static Tensor InputFeatures(IMultimodalModel model, IReadOnlyList<Sample> samples)
    {
        using var noGrad = no_grad();
        var parts = new List<Tensor>();
        foreach (var (modality, encoder) in model.Encoders.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            // An encoder without parameters (a fixed feature extractor) computes where the backbone does.
            var device = encoder.Module.parameters().Concat(model.Backbone.Module.parameters()).First().device;
            var owners = samples.SelectMany((s, i) => s.Inputs.Where(x => x.Modality == modality).Select(x => (Sample: i, Input: x))).ToList();
            var sums = zeros(samples.Count, encoder.OutputDim, device: device);
            var counts = zeros(samples.Count, 1, device: device);
            for (int start = 0; start < owners.Count; start += InputChunk)
            {
                // Each chunk's activations are freed before the next (a CLIP tower keeps every layer's states).
                using var chunkScope = NewDisposeScope();
                var chunk = owners.Skip(start).Take(InputChunk).ToList();
                // A tiled encoder's input is routed on its first tile, the whole image at the tower's size.
                using var prepared = encoder is ITiledEncoder tiled
                    ? cat(chunk.Select(c => tiled.PrepareTiles(c.Input, samples[c.Sample].Inputs.Count(x => x.Modality == modality)).Tiles.narrow(0, 0, 1)).ToArray(), 0)
                    : encoder.Prepare(chunk.Select(c => c.Input).ToList());
                var encoded = encoder.Encode(prepared.to(device)).to_type(ScalarType.Float32).mean([1]); // [inputs, width]
                var rows = tensor(chunk.Select(c => (long)c.Sample).ToArray(), device: device);
                sums.index_add_(0, rows, encoded, 1);
                counts.index_add_(0, rows, ones(chunk.Count, 1, device: device), 1);
            }
            parts.Add(nn.functional.normalize(sums / counts.clamp_min(1), dim: 1));
        }
        return cat(parts, 1);
    }

    /// <summary>[samples, hidden]: the mean input embedding of each instruction's tokens.</summary>
    private static Tensor InstructionFeatures(IMultimodalModel model, IReadOnlyList<Sample> samples)
    {
        using var noGrad = no_grad();
        var backbone = model.Backbone;
        var device = backbone.Module.parameters().First().device;
        return stack(samples.Select(s =>
        {
            string text = Placeholders.In(s).Aggregate(s.Instruction, (t, p) => t.Replace(p, " "));
            var ids = tensor(backbone.Tokenizer.Encode(text).Select(i => (long)i).DefaultIfEmpty(backbone.Tokenizer.PadId).ToArray(), device: device).unsqueeze(0);
            return backbone.Embed(ids).to_type(ScalarType.Float32).mean([1]).squeeze(0);
        }).ToList());
    }

    public override void SaveState(ComponentState state)
    {
        base.SaveState(state);
        state.Values["prototypes"] = prototypes.Count;
        state.Values["routeOn"] = options.RouteOn;
        for (int t = 0; t < prototypes.Count; t++) state.Tensors[$"prototype.{t}"] = prototypes[t];
    }

    public override void LoadState(ComponentState state, TaskContext context)
    {
        base.LoadState(state, context);
        foreach (var p in prototypes) p.Dispose();
        prototypes.Clear();
        // Prototypes of other features than this run's would route by a different measure (a state kept before 0.2.0
        // routed on the instruction).
        string savedRouteOn = state.Values["routeOn"]?.GetValue<string>() ?? "instruction";
        if (savedRouteOn != options.RouteOn)
            throw new CoinOptionException("routeOn", $"'{options.RouteOn}', but the kept LoRA bank's prototypes were made with '{savedRouteOn}'");
        int count = state.Values["prototypes"]!.GetValue<int>();
        // Kept state is read onto the CPU; new prototypes are made on the model's device.
        for (int t = 0; t < count; t++) prototypes.Add(state.Tensors[$"prototype.{t}"].detach().to(component.Device).clone().DetachFromDisposeScope());
    }

    public void Dispose()
    {
        foreach (var p in prototypes) p.Dispose();
        Bank.Dispose();
    }
}
