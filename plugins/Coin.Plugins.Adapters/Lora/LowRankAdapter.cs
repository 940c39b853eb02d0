using System.ComponentModel.DataAnnotations;
using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;
using TorchSharp.Modules;

namespace Coin.Plugins.Adapters.Lora;

internal class LoraOptions : IValidatableObject
{
    [Range(1, 4096)] public int Rank { get; set; } = 8;
    [Range(0.0, 1e6)] public double Alpha { get; set; } = 16;
    [Range(0.0, 0.99)] public double Dropout { get; set; }

    /// <summary>Linear layers to adapt: a plain name matches the last part of the module name, anything else is a
    /// regular expression over the whole dotted name. The default covers LLaMA's attention and MLP.</summary>
    public List<string> TargetModules { get; set; } = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>Components whose matching linears get the low-rank update (their own weights stay frozen).</summary>
    public List<string> Targets { get; set; } = [ComponentNames.Backbone];

    /// <summary>Components trained in full (LLaVA trains the projector); everything else is frozen.</summary>
    public List<string> TrainFully { get; set; } = [ComponentNames.Connector];

    public virtual IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var name in Targets.Concat(TrainFully).Where(n => !ComponentNames.All.Contains(n)))
            yield return new ValidationResult($"unknown component '{name}'; accepted: {string.Join(", ", ComponentNames.All)}", [nameof(Targets)]);
        foreach (var name in Targets.Intersect(TrainFully))
            yield return new ValidationResult($"'{name}' cannot be both a LoRA target and trained fully", [nameof(TrainFully)]);
        if (TargetModules.Count == 0) yield return new ValidationResult("at least one target module pattern is needed", [nameof(TargetModules)]);
    }
}

internal sealed class MoeLoraOptions : LoraOptions
{
    /// <summary>Experts per adapted linear; each has rank Rank / Experts.</summary>
    [Range(1, 64)] public int Experts { get; set; } = 4;

    public override IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var result in base.Validate(validationContext)) yield return result;
        if (Rank % Experts != 0) yield return new ValidationResult($"rank ({Rank}) must be divisible by experts ({Experts})", [nameof(Rank)]);
    }
}

/// <summary>LoRA (experts = 1), DoRA (decomposed) or MoELoRA: freezes the targeted components, attaches low-rank
/// updates to their matching linears, and trains those plus the components listed in TrainFully. Each plugin is a
/// one-line subclass below that fixes the variant.</summary>
internal abstract class LowRankAdapter(LoraOptions options, int experts, bool gaussianA, bool decomposed = false) : IAdapter, IDeclaresTrainableParts, IPeftExport
{
    public IReadOnlySet<string> TrainableParts => options.Targets.Concat(options.TrainFully).ToHashSet();

    private readonly List<LowRankLayer> layers = [];
    private readonly List<LowRankLayer> backboneLayers = [];

    public IReadOnlyList<LowRankLayer> Layers => layers;

    public IReadOnlyList<ParameterGroup> Apply(IMultimodalModel model)
    {
        var groups = new List<ParameterGroup>();
        foreach (string component in ComponentNames.All)
        {
            bool full = options.TrainFully.Contains(component);
            var modules = model.ComponentModules(component);
            if (full) ComponentSelection.RefuseFrozenStorage(component, modules);
            foreach (var module in modules)
                foreach (var p in module.parameters()) p.requires_grad = full;
            var trainable = new List<Parameter>();
            if (full) trainable.AddRange(modules.SelectMany(m => m.parameters()));
            if (options.Targets.Contains(component))
            {
                var injected = modules.SelectMany(m => LowRankInjector.Inject(m, options.TargetModules, options.Rank, options.Alpha, options.Dropout, experts, gaussianA, decomposed)).ToList();
                layers.AddRange(injected);
                if (component == ComponentNames.Backbone) backboneLayers.AddRange(injected);
                trainable.AddRange(injected.SelectMany(l => l.Parameters()));
                if (injected.Count == 0)
                    throw new CoinOptionException("targetModules", $"no linear layer of the {component} matches {string.Join(", ", options.TargetModules)}");
            }
            if (trainable.Count > 0) groups.Add(new ParameterGroup(component, trainable));
        }
        return groups;
    }

    public void Merge() => layers.ForEach(l => l.Merge());
    public void Unmerge() => layers.ForEach(l => l.Unmerge());

    public string? PeftRefusal => experts > 1 ? "MoELoRA (a router per adapted linear) has no PEFT equivalent"
        // PEFT's name and layout of the magnitude changed across its versions and could not be checked here: merge instead.
        : decomposed ? "DoRA's PEFT layout (use_dora, the magnitude's tensor name) is not checked against PEFT here; export the merged model (coin export writes it)"
        : PeftLoraFiles.OutsideLanguageModel(options.Targets);

    public string? MergeRefusal => experts > 1 ? "MoELoRA cannot be merged: its gates depend on the input"
        : backboneLayers.FirstOrDefault(l => l.TargetStorage != Coin.Nn.Quantization.FrozenWeights.Float32) is { } stored
            ? $"the base weights are stored as {Coin.Nn.Quantization.FrozenWeightsNames.Name(stored.TargetStorage)} (frozenWeights / training.precision): folding LoRA into them needs float32 weights, and folded into a quantised or rounded base it would not be the model trained on the original weights; apply the PEFT adapter to the original base instead"
            : null;

    public void MergeIntoBase()
    {
        try
        {
            Merge();
        }
        catch (InvalidOperationException e)
        {
            throw new CoinOptionException(null, e.Message);
        }
    }

    /// <summary>PEFT's files (<see cref="PeftLoraFiles"/>).</summary>
    public void SavePeft(string folder, string baseModel)
    {
        if (PeftRefusal is { } why) throw new CoinOptionException(null, why);
        PeftLoraFiles.Write(folder, baseModel, backboneLayers.Select(l => (l.Name, l.A.weight!.detach(), l.B.weight!.detach())).ToList(),
            options.Rank, options.Alpha, options.Dropout, options.TargetModules);
    }
}

[CoinPlugin(PluginKind.Adapter, "lora", "0.2.0", "LoRA on the targeted linears (rank, alpha, dropout, name patterns); mergeable")]
internal sealed class LoraAdapter(LoraOptions options) : LowRankAdapter(options, experts: 1, gaussianA: false);

[CoinPlugin(PluginKind.Adapter, "dora", "0.1.0", "DoRA: LoRA's direction update with a trained magnitude per output row (PEFT's computation); mergeable")]
internal sealed class DoraAdapter(LoraOptions options) : LowRankAdapter(options, experts: 1, gaussianA: false, decomposed: true);

[CoinPlugin(PluginKind.Adapter, "moelora", "0.3.0", "MoELoRA as in CoIN: E experts of rank r/E and a per-token softmax router")]
internal sealed class MoeLoraAdapter(MoeLoraOptions options) : LowRankAdapter(options, options.Experts, gaussianA: true);
