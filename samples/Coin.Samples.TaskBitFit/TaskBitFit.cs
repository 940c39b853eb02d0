using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json.Nodes;
using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Nn.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Samples.TaskBitFit;

/// <summary>Options bound from <c>model.adapter.options</c>.</summary>
public sealed class TaskBitFitOptions
{
    /// <summary>The backbone's linear layers that get a bias per task, by the last part of their name.</summary>
    [MinLength(1)] public List<string> TargetModules { get; set; } = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>Write each routed evaluation sample (its task, the task chosen) to <c>task-bitfit-routing.csv</c> in
    /// the run folder.</summary>
    public bool LogRouting { get; set; } = true;
}

/// <summary>A sample third-party method on the 2.x contracts: BitFit per task. Every backbone weight is frozen; each
/// task trains its own bias on the targeted linear layers (earlier tasks' biases are frozen), and at evaluation every
/// sample is routed to one task's biases — the task it belongs to under the task-aware protocol, the task whose
/// training instructions its instruction resembles most (cosine of word counts) under the task-agnostic one.</summary>
/// <remarks>
/// <para>It uses each point a per-task method needs, and nothing of the host: the adapter (<see cref="Apply"/>), its
/// lifecycle (<see cref="BeginTask"/> adds the task's biases and returns them as the trainable set), a training hook
/// (<see cref="OnTaskStart"/> learns the task's words and routes training to the task; <see cref="BeforeEvaluation"/>
/// names the stage in the routing log), routing
/// (<see cref="Route"/>), and checkpoints (every task's biases and words, so a resumed run rebuilds them).</para>
/// <para>The biases attach through <see cref="AutocastLinear.AddDelta"/> (Coin.Nn), which adds them whichever path
/// computed the layer's output; they are registered on each layer as <c>task_bias_tN</c>, so they are part of the
/// model's weights as well.</para>
/// </remarks>
[CoinPlugin(PluginKind.Adapter, "task-bitfit", "0.1.0", "Sample third-party plugin: a bias per task on the backbone's linears, routed per sample at evaluation")]
public sealed class TaskBitFit(TaskBitFitOptions options, ComponentContext component)
    : IAdapter, IAdapterLifecycle, ITrainingHooks, IRoutesSamples, ICheckpointable
{
    private readonly List<TaskBiases> layers = [];
    private readonly List<(string Task, Dictionary<string, double> Words)> prototypes = [];
    private readonly Routing routing = new();
    private string stage = "";

    /// <summary>How many tasks have their biases.</summary>
    public int Tasks => layers.Count == 0 ? 0 : layers[0].Count;

    public IReadOnlyList<ParameterGroup> Apply(IMultimodalModel model)
    {
        foreach (string component in ComponentNames.All)
            foreach (var module in model.ComponentModules(component))
                foreach (var parameter in module.parameters()) parameter.requires_grad = false;
        foreach (var module in model.ComponentModules(ComponentNames.Backbone))
            foreach (var (name, linear) in module.named_modules().Where(m => m.module is AutocastLinear).ToList())
                if (options.TargetModules.Any(t => name == t || name.EndsWith("." + t, StringComparison.Ordinal)))
                    layers.Add(new TaskBiases((AutocastLinear)linear, routing));
        if (layers.Count == 0)
            throw new CoinUserException($"model.adapter.options.targetModules: no linear layer of the backbone is named {string.Join(", ", options.TargetModules)}");
        foreach (var layer in layers) layer.AddTask();
        return Trainable();
    }

    public IReadOnlyList<ParameterGroup> BeginTask(TaskContext context)
    {
        // Idempotent: on resume LoadState has rebuilt the earlier tasks' biases already.
        while (Tasks < context.Task.Index + 1)
            foreach (var layer in layers) layer.AddTask();
        return Trainable();
    }

    private List<ParameterGroup> Trainable() => [new(ComponentNames.Backbone, layers.Select(l => l.Newest).ToList())];

    public void OnTaskStart(TaskContext context)
    {
        routing.AllTo(context.Task.Index);
        var words = new Dictionary<string, double>();
        foreach (var sample in context.TrainSamples)
            foreach (string word in Words(sample.Instruction)) words[word] = words.GetValueOrDefault(word) + 1;
        prototypes.RemoveAll(p => p.Task == context.Task.Name);
        prototypes.Add((context.Task.Name, words));
    }

    public void Route(RoutingContext context)
    {
        var chosen = context.Samples.Select(sample => context.Task is { } task
            ? Math.Min(task.Index, Tasks - 1) // a task not trained yet has no biases: its newest neighbour answers
            : Nearest(sample.Instruction)).ToArray();
        routing.PerSample(chosen);
        if (!options.LogRouting) return;
        string log = Path.Combine(component.RunDirectory, "task-bitfit-routing.csv");
        bool header = !File.Exists(log);
        using var writer = File.AppendText(log);
        if (header) writer.WriteLine("stage,task,id,routed,protocol");
        for (int i = 0; i < chosen.Length; i++)
            writer.WriteLine(string.Join(',', stage, context.Samples[i].Task, context.Samples[i].Id, TaskName(chosen[i]),
                context.Task is null ? "task-agnostic" : "task-aware"));
    }

    /// <summary>Only to label the routing log's rows with their evaluation stage.</summary>
    public void BeforeEvaluation(EvaluationContext context) => stage = context.Stage;

    private string TaskName(int index) => index < prototypes.Count ? prototypes[index].Task : $"task {index}";

    /// <summary>The trained task whose instructions' word counts are closest (cosine) to this instruction's.</summary>
    private int Nearest(string instruction)
    {
        if (prototypes.Count == 0) return 0;
        var words = Words(instruction).GroupBy(w => w).ToDictionary(g => g.Key, g => (double)g.Count());
        int best = 0;
        double bestScore = double.NegativeInfinity;
        for (int t = 0; t < Math.Min(prototypes.Count, Tasks); t++)
        {
            var prototype = prototypes[t].Words;
            double dot = words.Sum(w => w.Value * prototype.GetValueOrDefault(w.Key));
            double norm = Math.Sqrt(prototype.Values.Sum(v => v * v)) * Math.Sqrt(words.Values.Sum(v => v * v));
            double score = norm == 0 ? 0 : dot / norm;
            if (score > bestScore) (best, bestScore) = (t, score);
        }
        return best;
    }

    private static IEnumerable<string> Words(string text)
        => text.ToLowerInvariant().Split(text.Where(c => !char.IsLetterOrDigit(c)).Distinct().ToArray(), StringSplitOptions.RemoveEmptyEntries);

    public void SaveState(ComponentState state)
    {
        state.Values["tasks"] = Tasks;
        state.Values["prototypes"] = new JsonArray(prototypes.Select(p => (JsonNode)new JsonObject
        {
            ["task"] = p.Task,
            ["words"] = new JsonObject(p.Words.Select(w => KeyValuePair.Create(w.Key, (JsonNode?)w.Value))),
        }).ToArray());
        for (int l = 0; l < layers.Count; l++)
            for (int t = 0; t < layers[l].Count; t++) state.Tensors[$"{l}.{t}"] = layers[l].Bias(t);
    }

    public void LoadState(ComponentState state, TaskContext context)
    {
        int tasks = state.Values["tasks"]!.GetValue<int>();
        while (Tasks < tasks)
            foreach (var layer in layers) layer.AddTask();
        using (no_grad())
            for (int l = 0; l < layers.Count; l++)
                for (int t = 0; t < tasks; t++) layers[l].Bias(t).copy_(state.Tensors[$"{l}.{t}"]);
        prototypes.Clear();
        foreach (var saved in state.Values["prototypes"]!.AsArray())
            prototypes.Add((saved!["task"]!.GetValue<string>(),
                saved["words"]!.AsObject().ToDictionary(w => w.Key, w => w.Value!.GetValue<double>())));
    }
}

/// <summary>Which task's biases each row of the next forward passes uses.</summary>
internal sealed class Routing
{
    public int? Task { get; private set; }
    public long[] Rows { get; private set; } = [];

    public void AllTo(int task) => (Task, Rows) = (task, []);

    public void PerSample(int[] tasks) => (Task, Rows) = (null, tasks.Select(t => (long)t).ToArray());
}

/// <summary>One linear layer's biases, one per task, registered on the layer as <c>task_bias_tN</c> (so checkpoints,
/// devices and state dicts see them).</summary>
internal sealed class TaskBiases
{
    private readonly AutocastLinear linear;
    private readonly Routing routing;
    private readonly List<Parameter> biases = [];

    public TaskBiases(AutocastLinear linear, Routing routing)
    {
        (this.linear, this.routing) = (linear, routing);
        linear.AddDelta(Offset);
    }

    public int Count => biases.Count;
    public Parameter Newest => biases[^1];
    public Parameter Bias(int task) => biases[task];

    /// <summary>A zero bias for a new task (a new task starts from the frozen model), earlier ones frozen.</summary>
    public void AddTask()
    {
        foreach (var bias in biases) bias.requires_grad = false;
        var created = new Parameter(zeros(linear.out_features, device: linear.weight.device));
        linear.register_parameter("task_bias_t" + biases.Count.ToString(CultureInfo.InvariantCulture), created);
        biases.Add(created);
    }

    /// <summary>The routed bias of each row, shaped to broadcast over the output [rows, …, out].</summary>
    private Tensor Offset(Tensor input)
    {
        var type = ComputePrecision.Current ?? input.dtype;
        if (routing.Task is { } task) return biases[task].to_type(type);
        if (routing.Rows.Length != input.shape[0])
            throw new InvalidOperationException($"task-bitfit was routed {routing.Rows.Length} samples but the layer sees {input.shape[0]} rows");
        var shape = new long[input.dim()];
        Array.Fill(shape, 1L);
        (shape[0], shape[^1]) = (input.shape[0], linear.out_features);
        using var index = tensor(routing.Rows, device: input.device);
        return stack(biases).index_select(0, index).to_type(type).view(shape);
    }
}
