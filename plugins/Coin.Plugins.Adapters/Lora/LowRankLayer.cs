using Coin.Nn.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Plugins.Adapters.Lora;

/// <summary>Low-rank update attached to one frozen <see cref="AutocastLinear"/>: its submodules are registered on the
/// linear itself (so state-dict names read <c>…q_proj.lora_A.weight</c>, as in PEFT) and the update is attached as the
/// linear's delta, so it is added however the linear is computed (alone or fused with its neighbours) and in the
/// same compute precision. With <c>experts</c> &gt; 1 it is CoIN's MoELoRA: the rank is split into
/// experts of rank r/E and a per-token softmax router weighs them.</summary>
/// <remarks>Output: <c>W0 x + (alpha/r) · B (g ⊙ A dropout(x))</c>, where g repeats each expert's gate over its
/// r/E rows (g = 1 for plain LoRA). Because A and B hold all experts side by side, this equals
/// <c>Σ_i g_i (alpha/r) B_i A_i x</c>.
/// With <c>decomposed</c> it is DoRA (Liu et al., 2024), as PEFT computes it: W' = m ⊙ (W0 + s·BA) / ‖W0 + s·BA‖, the
/// norm per output row taken as a constant in backward (DoRA's §4.3, PEFT's <c>weight_norm.detach()</c>), m (one per
/// output row, <c>lora_magnitude_vector</c>) trained and initialised to ‖W0‖, so the model starts exactly at the base
/// model; the update is then <c>(m/‖·‖ − 1) ⊙ W0 x + (m/‖·‖) ⊙ s·B A dropout(x)</c>. That is LoRA exactly when m equals
/// ‖W0 + s·BA‖ (the direction then keeps its own length). The delta recomputes W0 x (PEFT reuses the base output when
/// there is no dropout): one more product per adapted linear.</remarks>
internal sealed class LowRankLayer
{
    private readonly AutocastLinear target;
    private readonly AutocastLinear lora_A, lora_B;
    private readonly AutocastLinear? lora_router;
    private readonly Parameter? magnitude;
    private Tensor? unmergedWeight;
    private readonly Dropout? dropout;
    private readonly int experts;
    private readonly double scale;

    public LowRankLayer(string name, AutocastLinear target, int rank, double alpha, double dropoutRate, int experts, bool gaussianA, bool decomposed = false)
    {
        if (decomposed && experts > 1) throw new ArgumentException("DoRA has no experts", nameof(decomposed));
        Name = name;
        this.target = target;
        this.experts = experts;
        scale = alpha / rank;
        var device = target.WeightDevice;
        lora_A = new AutocastLinear(target.in_features, rank, hasBias: false, device: device);
        lora_B = new AutocastLinear(rank, target.out_features, hasBias: false, device: device);
        using (no_grad())
        {
            // B = 0 makes the adapted model start exactly at the base model.
            nn.init.zeros_(lora_B.weight);
            if (gaussianA) nn.init.normal_(lora_A.weight, 0, 0.01);
        }
        target.register_module("lora_A", lora_A);
        target.register_module("lora_B", lora_B);
        if (experts > 1)
        {
            lora_router = new AutocastLinear(target.in_features, experts, hasBias: false, device: device);
            target.register_module("lora_router", lora_router);
        }
        if (decomposed)
        {
            using (no_grad())
            {
                using var w = target.WeightAs(ScalarType.Float32);
                magnitude = new Parameter(w.detach().norm(1, keepdim: false, p: 2).clone());
            }
            target.register_parameter("lora_magnitude_vector", magnitude);
        }
        if (dropoutRate > 0)
        {
            dropout = nn.Dropout(dropoutRate);
            target.register_module("lora_dropout", dropout);
        }
        target.AddDelta(input => Merged ? null : Delta(input));
    }

    public string Name { get; }
    public bool Merged { get; private set; }

    /// <summary>How the adapted layer's own weight is stored (a merge needs float32).</summary>
    public Coin.Nn.Quantization.FrozenWeights TargetStorage => target.Storage;

    public IEnumerable<Parameter> Parameters()
    {
        yield return lora_A.weight;
        yield return lora_B.weight;
        if (lora_router is not null) yield return lora_router.weight;
        if (magnitude is not null) yield return magnitude;
    }

    /// <summary>DoRA's magnitude m (one per output row), or null for LoRA and MoELoRA.</summary>
    public Parameter? Magnitude => magnitude;

    public AutocastLinear A => lora_A;
    public AutocastLinear B => lora_B;
    public AutocastLinear? Router => lora_router;

    /// <summary>m / ‖W0 + s·BA‖ per output row [out], the norm detached (DoRA's scale).</summary>
    private Tensor DecomposedScale()
    {
        Tensor norm;
        using (no_grad())
        {
            using var w = target.WeightAs(ScalarType.Float32);
            norm = (w + lora_B.weight.matmul(lora_A.weight).to_type(ScalarType.Float32) * scale).norm(1, keepdim: false, p: 2);
        }
        return magnitude! / norm;
    }

    private Tensor Delta(Tensor input)
    {
        if (magnitude is not null)
        {
            var factor = DecomposedScale();
            var update = lora_B.call(lora_A.call(dropout is null ? input : dropout.call(input))) * scale;
            var baseOutput = target.ComputeOwn(input, withBias: false);
            return (factor - 1).to_type(baseOutput.dtype) * baseOutput + factor.to_type(update.dtype) * update;
        }
        if (lora_router is null)
        {
            // B's output is not saved for the backward pass of a product with a number: freed now, not at the step's end.
            using var unscaled = lora_B.call(lora_A.call(dropout is null ? input : dropout.call(input)));
            return unscaled * scale;
        }
        // MoELoRA as CoIN's: the router gates from the input itself (before dropout), and each expert's branch draws
        // its own dropout mask.
        long rankPerExpert = lora_A.out_features / experts;
        var low = dropout is null
            ? lora_A.call(input)
            : cat(Enumerable.Range(0, experts).Select(e =>
                AutocastLinear.Compute(dropout.call(input), lora_A.weight.narrow(0, e * rankPerExpert, rankPerExpert), null)).ToArray(), -1);
        // The router's softmax runs in float32, as autocast runs softmax.
        var gates = nn.functional.softmax(lora_router.call(input).to_type(ScalarType.Float32), -1);
        long[] shape = low.shape;
        long[] split = [.. shape[..^1], experts, rankPerExpert];
        low = (low.view(split) * gates.unsqueeze(-1)).view(shape);
        using var expertsUpdate = lora_B.call(low);
        return expertsUpdate * scale;
    }

    /// <summary>Refuses to merge into a frozen weight stored in bfloat16 (mixed precision): it would round the update
    /// away, and unmerging would not give the base back. Shared with the per-task LoRAs' merge.</summary>
    public static void RequireFloat32(string name, AutocastLinear target)
    {
        if (target.Storage != Coin.Nn.Quantization.FrozenWeights.Float32)
            throw new InvalidOperationException($"{name}: the frozen weight is stored as {Coin.Nn.Quantization.FrozenWeightsNames.Name(target.Storage)}; merge LoRA into a float32 model (training.precision: float32, frozenWeights: auto)");
    }

    /// <summary>Adds <c>(alpha/r) B A</c> to the frozen weight; the hook then adds nothing. Plain LoRA only: a
    /// router's gates depend on the input, so MoELoRA cannot be merged.</summary>
    public void Merge()
    {
        if (lora_router is not null) throw new InvalidOperationException($"{Name}: MoELoRA cannot be merged (its gates depend on the input)");
        if (Merged) return;
        RequireFloat32(Name, target);
        using (no_grad())
        {
            if (magnitude is not null)
            {
                // W' = (m/‖W0 + sBA‖) ⊙ (W0 + sBA): the norm cannot be read back from W' (its rows have norm m), so
                // the base weight is kept for Unmerge.
                var factor = DecomposedScale().unsqueeze(1);
                unmergedWeight = target.weight.detach().clone().DetachFromDisposeScope();
                target.weight.copy_(factor * (target.weight + lora_B.weight.matmul(lora_A.weight) * scale));
            }
            else target.weight.add_(lora_B.weight.matmul(lora_A.weight) * scale);
        }
        Merged = true;
    }

    public void Unmerge()
    {
        if (!Merged) return;
        using (no_grad())
        {
            if (unmergedWeight is not null)
            {
                target.weight.copy_(unmergedWeight);
                unmergedWeight.Dispose();
                unmergedWeight = null;
            }
            else target.weight.sub_(lora_B.weight.matmul(lora_A.weight) * scale);
        }
        Merged = false;
    }
}
