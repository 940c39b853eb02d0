using Coin.Abstractions.Components;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Coin.Nn.Layers;

/// <summary>A linear layer (<c>weight</c> [out, in], optional <c>bias</c>, as <c>nn.Linear</c> and Hugging Face name
/// them) that computes in <see cref="ComputePrecision.Current"/>: under bfloat16 its input and weight are cast for the
/// product and the output is bfloat16, as PyTorch's autocast does for <c>linear</c>. Outside a precision region it
/// computes in the input's type, so a weight stored in bfloat16 still serves a float32 pass.</summary>
/// <remarks>
/// <para>Why our own type: TorchSharp's <c>Linear</c> is sealed and has no autocast, and the host needs every matrix
/// product of a model to follow one switch.</para>
/// <para>Adapters attach to it with <see cref="AddDelta"/> rather than forward hooks: a delta is added to the output
/// whichever path computed it, including <see cref="Fused"/> products of several layers.</para>
/// <para>Initialisation draws the same random numbers as <c>nn.Linear</c> (Kaiming-uniform with a = √5, bias
/// uniform ±1/√in), so swapping one for the other leaves every seeded model unchanged.</para>
/// </remarks>
public sealed class AutocastLinear : nn.Module<Tensor, Tensor>
{
    private readonly List<Func<Tensor, Tensor?>> deltas = [];

    public AutocastLinear(long inFeatures, long outFeatures, bool hasBias = true, Device? device = null) : base(nameof(AutocastLinear))
    {
        in_features = inFeatures;
        out_features = outFeatures;
        // Registered by name, with no fields: the registry is the one place that holds them, so replacing an entry
        // (StoreFrozenAs) or moving the module (.to) cannot leave a stale field behind.
        register_parameter("weight", new Parameter(empty(outFeatures, inFeatures, device: device)));
        if (hasBias) register_parameter("bias", new Parameter(empty(outFeatures, device: device)));
        ResetParameters();
    }

    public long in_features { get; }
    public long out_features { get; }

    /// <summary>[out, in]: float32 while it trains; bfloat16 once <see cref="StoreFrozenAs"/> converted it.</summary>
    public Parameter weight => _internal_params["weight"];
    public Parameter? bias => _internal_params.TryGetValue("bias", out var b) ? b : null;

    /// <summary>True when an adapter has attached an update to this layer.</summary>
    public bool HasDeltas => deltas.Count > 0;

    /// <summary>Attaches an update added to the output: <c>delta(input)</c>, where input is the layer's input as
    /// given (before any cast); null adds nothing (a merged adapter).</summary>
    public void AddDelta(Func<Tensor, Tensor?> delta) => deltas.Add(delta);

    public override Tensor forward(Tensor input) => WithDeltas(input, Compute(input, weight, bias));

    /// <summary>Adds the attached deltas to an output computed for <paramref name="input"/>.</summary>
    public Tensor WithDeltas(Tensor input, Tensor output)
    {
        foreach (var delta in deltas)
            if (delta(input) is { } update) output = output + update;
        return output;
    }

    /// <summary><c>x Wᵀ + b</c> in the current compute type (see the class remarks).</summary>
    public static Tensor Compute(Tensor input, Tensor weight, Tensor? bias)
    {
        var type = ComputePrecision.Current ?? input.dtype;
        return F.linear(CastTo(input, type), CastTo(weight, type), bias is null ? null : CastTo(bias, type));
    }

    /// <summary>The outputs of several layers that share one input, each with its own deltas added: while training,
    /// from one matrix product over their stacked weights (one kernel forward and two backward instead of one and two
    /// per layer); without gradients, one product per layer.</summary>
    /// <remarks>The stacked weight is a copy made per call (part of the graph, so gradients reach each layer's own
    /// weight). At inference that copy would cost as much as the product itself when decoding one token at a time, so
    /// the layers are then computed apart; so they are when only some of them have a bias.</remarks>
    public static Tensor[] Fused(Tensor input, params AutocastLinear[] layers)
    {
        bool biased = layers.All(l => l.bias is not null);
        if (!is_grad_enabled() || (!biased && layers.Any(l => l.bias is not null)))
            return layers.Select(l => l.call(input)).ToArray();
        var type = ComputePrecision.Current ?? input.dtype;
        var stacked = cat(layers.Select(l => CastTo(l.weight, type)).ToArray(), 0);
        Tensor? stackedBias = biased ? cat(layers.Select(l => CastTo(l.bias!, type)).ToArray(), 0) : null;
        var joint = F.linear(CastTo(input, type), stacked, stackedBias);
        var outputs = new Tensor[layers.Length];
        long offset = 0;
        for (int i = 0; i < layers.Length; i++)
        {
            outputs[i] = layers[i].WithDeltas(input, joint.narrow(-1, offset, layers[i].out_features));
            offset += layers[i].out_features;
        }
        return outputs;
    }

    /// <summary>Stores the weight and bias in <paramref name="type"/> if they are frozen (half the memory in
    /// bfloat16); a trainable weight stays float32, the master copy the optimiser updates.</summary>
    /// <returns>The number of parameters converted.</returns>
    public long StoreFrozenAs(ScalarType type)
    {
        long converted = 0;
        if (!weight.requires_grad && weight.dtype != type)
        {
            converted += weight.numel();
            Replace("weight", weight, type);
        }
        if (bias is { requires_grad: false } b && b.dtype != type)
        {
            converted += b.numel();
            Replace("bias", b, type);
        }
        return converted;
    }

    private void Replace(string name, Parameter old, ScalarType type)
    {
        Parameter replacement;
        using (no_grad()) replacement = new Parameter(old.detach().to_type(type), requires_grad: false);
        // TorchSharp refuses to register a name twice; replacing the entry keeps the state dict's order.
        _internal_params[name] = replacement;
        old.Dispose();
    }

    private void ResetParameters()
    {
        using var noGrad = no_grad();
        nn.init.kaiming_uniform_(weight, a: Math.Sqrt(5));
        if (bias is { } b)
        {
            double bound = 1 / Math.Sqrt(in_features);
            nn.init.uniform_(b, -bound, bound);
        }
    }

    private static Tensor CastTo(Tensor t, ScalarType type) => t.dtype == type ? t : t.to_type(type);
}
