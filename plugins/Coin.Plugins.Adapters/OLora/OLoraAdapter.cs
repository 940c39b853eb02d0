using System.ComponentModel.DataAnnotations;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Plugins.Adapters.Lora;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Plugins.Adapters.OLora;

internal sealed class OLoraOptions : LoraOptions
{
    /// <summary>λ1, the weight of the orthogonality loss Σ |A_old A_newᵀ| (O-LoRA's lamda_1; 0.5 in its scripts).</summary>
    [Range(0.0, 1e6)] public double Orthogonality { get; set; } = 0.5;

    /// <summary>λ2, the weight of the L2 norm of the new task's LoRA parameters (O-LoRA's lamda_2; 0 in its scripts).</summary>
    [Range(0.0, 1e6)] public double L2 { get; set; }
}

/// <summary>O-LoRA (Wang et al., 2023, "Orthogonal Subspace Learning for Language Model Continual Learning"): every task
/// learns its own LoRA in each targeted linear while the earlier tasks' stay frozen and keep adding their updates; the
/// loss gains λ1 Σ_layers Σ_(i &lt; t) |A_i A_tᵀ| (the sum of absolute entries), which pushes the new task's subspace
/// (the rows of A_t) to be orthogonal to the earlier ones, and λ2 Σ ‖θ_t‖₂ over the new LoRA's tensors. At evaluation
/// every task's update is applied (O-LoRA needs no task identity). Logs <c>olora/orthogonality</c> per step.</summary>
/// <remarks>The first task's LoRA is made when the adapter is applied; each later task's at its start (contract 2.0's
/// <see cref="IAdapterLifecycle.BeginTask"/>). Checkpoints hold every task's pairs, so a resumed run rebuilds them.</remarks>
[CoinPlugin(PluginKind.Adapter, "olora", "0.2.0", "O-LoRA: a LoRA per task, earlier ones frozen, an orthogonality loss between the new and the earlier subspaces; exports as one PEFT LoRA, mergeable")]
internal sealed class OLoraAdapter(OLoraOptions options) : TaskLoraAdapter(options, selection: null), ITrainingHooks, IPeftExport
{
    /// <summary>Every task's update is applied at once, so their sum is one LoRA of rank tasks · r (see
    /// <see cref="TaskLowRankLayer.Concatenated"/>): PEFT's own LoRA computes it.</summary>
    public string? PeftRefusal => PeftLoraFiles.OutsideLanguageModel(options.Targets);

    public string? MergeRefusal => null;

    public void SavePeft(string folder, string baseModel)
    {
        if (PeftRefusal is { } why) throw new CoinOptionException(null, why);
        var layers = Layers.Select(l =>
        {
            var (a, b) = l.Concatenated();
            return (l.Name, a, b);
        }).ToList();
        PeftLoraFiles.Write(folder, baseModel, layers, Tasks * options.Rank, Tasks * options.Alpha, options.Dropout, options.TargetModules);
    }

    public void MergeIntoBase()
    {
        try
        {
            foreach (var layer in Layers) layer.Merge();
        }
        catch (InvalidOperationException e)
        {
            throw new CoinOptionException(null, e.Message);
        }
    }

    /// <summary>λ1 Σ_layers Σ_(i &lt; t) |A_i A_tᵀ| + λ2 Σ ‖θ_t‖₂, from the second task on.</summary>
    public Tensor? ExtraLoss(StepContext context, Batch batch, ModelOutput output)
    {
        if (Tasks < 2) return null;
        Tensor? orthogonality = null, l2 = null;
        foreach (var layer in Layers)
        {
            var (a, b) = layer.Pair(layer.Count - 1);
            var newA = a.to_type(ScalarType.Float32);
            for (int i = 0; i < layer.Count - 1; i++)
            {
                var term = layer.Pair(i).A.detach().to_type(ScalarType.Float32).matmul(newA.t()).abs().sum();
                orthogonality = orthogonality is null ? term : orthogonality + term;
            }
            // Only when it is weighted: O-LoRA's scripts leave λ2 at 0, and this runs on every micro-batch.
            if (options.L2 > 0)
            {
                var norms = newA.norm() + b.to_type(ScalarType.Float32).norm();
                l2 = l2 is null ? norms : l2 + norms;
            }
        }
        context.Log("olora/orthogonality", orthogonality!.item<float>());
        var loss = orthogonality * options.Orthogonality;
        return l2 is null ? loss : loss + l2 * options.L2;
    }
}
