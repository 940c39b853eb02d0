using Coin.Nn.Layers;
using Coin.Plugins.Adapters.Lora;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Plugins.Adapters.OLora;

/// <summary>One low-rank update per task attached to a frozen <see cref="AutocastLinear"/>:
/// <c>W0 x + Σ_t (alpha/r) B_t A_t dropout(x)</c>, every task's pair registered on the linear as <c>olora_A_{t}</c> /
/// <c>olora_B_{t}</c> (so checkpoints, devices and state dicts see them). With a <see cref="TaskSelection"/> (a LoRA
/// bank) only the selected task's update is applied: one task for the whole batch, or one per sample. Only the newest pair trains; earlier ones are frozen where their task left them.</summary>
internal sealed class TaskLowRankLayer
{
    private readonly AutocastLinear target;
    private readonly List<AutocastLinear> a = [], b = [];
    private readonly Dropout? dropout;
    private readonly int rank;
    private readonly double scale;

    private readonly TaskSelection? selection;

    public TaskLowRankLayer(string name, AutocastLinear target, int rank, double alpha, double dropoutRate, TaskSelection? selection = null)
    {
        Name = name;
        this.selection = selection;
        this.target = target;
        this.rank = rank;
        scale = alpha / rank;
        if (dropoutRate > 0)
        {
            dropout = nn.Dropout(dropoutRate);
            target.register_module("olora_dropout", dropout);
        }
        target.AddDelta(Delta);
    }

    public string Name { get; }

    /// <summary>How many tasks' pairs there are (the last one trains).</summary>
    public int Count => a.Count;

    /// <summary>Task <paramref name="t"/>'s A [r, in] and B [out, r].</summary>
    public (Parameter A, Parameter B) Pair(int t) => (a[t].weight!, b[t].weight!);

    /// <summary>Freezes the current pair and adds a new trainable one: A as nn.Linear initialises it, B = 0, so the
    /// model's output does not change.</summary>
    public void AddTask()
    {
        foreach (var p in a.Concat(b).SelectMany(m => m.parameters())) p.requires_grad = false;
        var device = target.WeightDevice;
        var newA = new AutocastLinear(target.in_features, rank, hasBias: false, device: device);
        var newB = new AutocastLinear(rank, target.out_features, hasBias: false, device: device);
        using (no_grad()) nn.init.zeros_(newB.weight);
        target.register_module($"olora_A_{a.Count}", newA);
        target.register_module($"olora_B_{b.Count}", newB);
        a.Add(newA);
        b.Add(newB);
    }

    /// <summary>True once every task's update is folded into the target's weight (the layer then adds nothing).</summary>
    public bool Merged { get; private set; }

    /// <summary>Every task's pair as one LoRA of rank <c>tasks · r</c>: A stacked by rows [T·r, in], B by columns
    /// [out, T·r], so that B A = Σ_t B_t A_t (with α scaled by T too, PEFT's α/r stays this layer's scale).</summary>
    public (Tensor A, Tensor B) Concatenated()
    {
        using var noGrad = no_grad();
        return (cat(a.Select(m => m.weight!.detach()).ToList(), 0), cat(b.Select(m => m.weight!.detach()).ToList(), 1));
    }

    /// <summary>W0 += (alpha/r) Σ_t B_t A_t: O-LoRA's sum folded into the base weight (not for a bank, whose update
    /// depends on the routing).</summary>
    public void Merge()
    {
        if (selection is not null) throw new InvalidOperationException($"{Name}: a routed bank of LoRAs cannot be merged into one weight");
        if (Merged) return;
        LowRankLayer.RequireFloat32(Name, target);
        using (no_grad())
            for (int t = 0; t < a.Count; t++) target.weight.add_(b[t].weight!.matmul(a[t].weight!) * scale);
        Merged = true;
    }

    private Tensor? Delta(Tensor input)
    {
        if (a.Count == 0 || Merged) return null;
        var x = dropout is null ? input : dropout.call(input);
        Tensor Update(int t) => b[t].call(a[t].call(x));
        if (selection is null)
        {
            Tensor sum = Update(0);
            for (int t = 1; t < a.Count; t++) sum = sum + Update(t);
            return sum * scale;
        }
        if (selection.PerSample is { } weights)
        {
            // weights [batch, tasks]: each sample's update is its row's mix of the tasks' (one-hot: its routed task's).
            long[] shape = [x.shape[0], .. Enumerable.Repeat(1L, (int)x.dim() - 1)];
            Tensor? mixed = null;
            for (int t = 0; t < Math.Min(a.Count, (int)weights.shape[1]); t++)
            {
                var term = Update(t) * weights.select(1, t).view(shape).to_type(x.dtype);
                mixed = mixed is null ? term : mixed + term;
            }
            return mixed is null ? null : mixed * scale;
        }
        return selection.Only is int only && only >= 0 && only < a.Count ? Update(only) * scale : null;
    }
}
