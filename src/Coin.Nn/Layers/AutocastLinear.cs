using Coin.Abstractions.Components;
using Coin.Nn.Quantization;
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
/// <para>A frozen weight may be stored in another type than products run in (<see cref="FrozenWeights"/>: bfloat16,
/// or quantised to int8 or NF4). It is then cast or dequantised for each product and the copy is freed at once; while
/// training, <see cref="FrozenProduct"/> keeps no copy for the backward pass either (it casts again there), so a 7B
/// base never exists in the compute type as a whole. A quantised layer has no <c>weight</c> parameter: read it with
/// <see cref="WeightAs"/>.</para>
/// <para>Initialisation draws the same random numbers as <c>nn.Linear</c> (Kaiming-uniform with a = √5, bias
/// uniform ±1/√in), so swapping one for the other leaves every seeded model unchanged.</para>
/// </remarks>
public sealed class AutocastLinear : nn.Module<Tensor, Tensor>
{
    /// <summary>Above this many stacked weight elements <see cref="Fused"/> computes frozen layers apart: the stacked
    /// copy is kept for the backward pass, and at 7B widths it would add 9 GB a step for little speed.</summary>
    public const long MaxFusedFrozenElements = 4L << 20;

    private readonly List<Func<Tensor, Tensor?>> deltas = [];
    private QuantizedWeight? quantized;
    [ThreadStatic] private static bool buildingDeferred;

    /// <summary>Layers built on this thread until the returned object is disposed have no storage (the meta device):
    /// a loader fills them with <see cref="SetStoredWeight"/> in the type they are kept in, so a model folder never
    /// exists in float32 first.</summary>
    public static IDisposable BuildDeferred()
    {
        bool previous = buildingDeferred;
        buildingDeferred = true;
        return new DeferredScope(previous);
    }

    private sealed class DeferredScope(bool previous) : IDisposable
    {
        public void Dispose() => buildingDeferred = previous;
    }

    /// <param name="device">Where the weights are created; <c>meta</c> builds the layer without storage (shapes only)
    /// for a loader that fills it with <see cref="SetStoredWeight"/>.</param>
    public AutocastLinear(long inFeatures, long outFeatures, bool hasBias = true, Device? device = null) : base(nameof(AutocastLinear))
    {
        in_features = inFeatures;
        out_features = outFeatures;
        // Registered by name, with no fields: the registry is the one place that holds them, so replacing an entry
        // (StoreFrozenAs) or moving the module (.to) cannot leave a stale field behind.
        device ??= buildingDeferred ? new Device(DeviceType.META) : null;
        register_parameter("weight", new Parameter(empty(outFeatures, inFeatures, device: device)));
        if (hasBias) register_parameter("bias", new Parameter(empty(outFeatures, device: device)));
        ResetParameters();
    }

    public long in_features { get; }
    public long out_features { get; }

    /// <summary>[out, in]: float32 while it trains; bfloat16 once <see cref="StoreFrozenAs"/> converted it. A quantised
    /// layer has none (see <see cref="WeightAs"/>).</summary>
    public Parameter weight => _internal_params.TryGetValue("weight", out var w) ? w
        : throw new InvalidOperationException($"this linear layer's frozen weight is stored as {Storage.Name()}: read it with WeightAs(type)");
    public Parameter? bias => _internal_params.TryGetValue("bias", out var b) ? b : null;

    /// <summary>How the weight is stored.</summary>
    public FrozenWeights Storage => quantized?.Format ?? (weight.dtype == ScalarType.BFloat16 ? FrozenWeights.BFloat16 : FrozenWeights.Float32);

    public bool IsQuantized => quantized is not null;

    /// <summary>Bytes of a quantised weight (codes and scales); 0 when the weight is a parameter.</summary>
    public long QuantizedBytes => quantized?.Bytes ?? 0;

    /// <summary>The weight's device (also for a quantised layer).</summary>
    public Device WeightDevice => quantized?.Device ?? weight.device;

    /// <summary>True when the weight has no storage yet (built on the meta device for a loader).</summary>
    public bool IsDeferred => quantized is null && weight.device.type == DeviceType.META;

    /// <summary>True when an adapter has attached an update to this layer.</summary>
    public bool HasDeltas => deltas.Count > 0;

    /// <summary>Attaches an update added to the output: <c>delta(input)</c>, where input is the layer's input as
    /// given (before any cast); null adds nothing (a merged adapter). The layer owns the tensor the delta returns
    /// and disposes its handle once added, so a delta must return a tensor of its own (not one it keeps, nor its
    /// input).</summary>
    public void AddDelta(Func<Tensor, Tensor?> delta) => deltas.Add(delta);

    public override Tensor forward(Tensor input) => WithDeltas(input, ComputeOwn(input));

    /// <summary>Adds the attached deltas to an output computed for <paramref name="input"/>.</summary>
    /// <remarks>A sum saves neither addend for the backward pass, so both handles are dropped as soon as it exists:
    /// the step's dispose scope would otherwise hold the base product and the update (two of the layer's width per
    /// adapted linear, 0.3 GiB a decoder layer of a 7B LLaVA at 870 positions) until the step ends. What autograd
    /// saved stays alive through its own reference.</remarks>
    public Tensor WithDeltas(Tensor input, Tensor output)
    {
        foreach (var delta in deltas)
        {
            if (delta(input) is not { } update) continue;
            var sum = output + update;
            if (!ReferenceEquals(update, input)) update.Dispose();
            if (!ReferenceEquals(output, input)) output.Dispose();
            output = sum;
        }
        return output;
    }

    /// <summary>This layer's own product <c>x Wᵀ + b</c> (or <c>x Wᵀ</c>) in the current compute type, without the deltas.</summary>
    public Tensor ComputeOwn(Tensor input, bool withBias = true)
    {
        var type = ComputePrecision.Current ?? input.dtype;
        var bias = withBias ? this.bias : null;
        if (!ConvertsWeightFor(type)) return Compute(input, weight, bias);
        var x = CastTo(input, type);
        Tensor product;
        if (is_grad_enabled() && x.requires_grad) product = FrozenProduct.apply(x, this, type);
        else
        {
            using var w = ConvertedForProduct(type);
            product = F.linear(x, w, null);
        }
        return bias is { } b ? product + CastTo(b, type) : product;
    }

    /// <summary><c>x Wᵀ + b</c> in the current compute type (see the class remarks).</summary>
    public static Tensor Compute(Tensor input, Tensor weight, Tensor? bias)
    {
        var type = ComputePrecision.Current ?? input.dtype;
        return F.linear(CastTo(input, type), CastTo(weight, type), bias is null ? null : CastTo(bias, type));
    }

    /// <summary>The weight in <paramref name="type"/> as a tensor the caller owns (dispose it): the parameter itself
    /// (an alias, so gradients flow) when it is stored in that type, else a cast or dequantised copy.</summary>
    public Tensor WeightAs(ScalarType type) => quantized is null && weight.dtype == type ? weight.alias() : StoredWeightAs(type);

    /// <summary>True when a product in <paramref name="type"/> makes a converted copy of the weight (a frozen weight
    /// stored in another type, or quantised): it is converted per product, and a memory plan counts it as a transient.</summary>
    public bool ConvertsWeightFor(ScalarType type) => quantized is not null || (!weight.requires_grad && weight.dtype != type);

    private Tensor StoredWeightAs(ScalarType type)
    {
        if (quantized is { } q) return q.Dequantize(type);
        using var noGrad = no_grad();
        return weight.to_type(type);
    }

    /// <summary>The weight converted for one product that uses it at once, cast or dequantised into a view of the
    /// thread's <see cref="ConversionBuffers"/> buffer (valid until the next conversion on this thread). Dispose the
    /// view; the buffer stays.</summary>
    private Tensor ConvertedForProduct(ScalarType type)
    {
        var buffer = ConversionBuffers.For([out_features, in_features], type, quantized?.Device ?? weight.device);
        if (quantized is { } q) return q.Dequantize(type, buffer);
        using (no_grad()) buffer.copy_(weight);
        return buffer;
    }

    /// <summary>The outputs of several layers that share one input, each with its own deltas added: while training,
    /// from one matrix product over their stacked weights (one kernel forward and two backward instead of one and two
    /// per layer); without gradients, one product per layer.</summary>
    /// <remarks>The stacked weight is a copy made per call (part of the graph, so gradients reach each layer's own
    /// weight). At inference that copy would cost as much as the product itself when decoding one token at a time, so
    /// the layers are then computed apart; so they are when only some of them have a bias, when a weight is stored in
    /// another type than the product's or quantised, and when frozen weights would make a stacked copy larger than
    /// <see cref="MaxFusedFrozenElements"/>. Inside a recomputed region (<see cref="Recompute"/>) the forward pass
    /// without gradients takes the same path as its recomputation, so both give the same numbers.</remarks>
    public static Tensor[] Fused(Tensor input, params AutocastLinear[] layers)
    {
        bool biased = layers.All(l => l.bias is not null);
        var type = ComputePrecision.Current ?? input.dtype;
        bool apart = (!is_grad_enabled() && !Recompute.InForward) || (!biased && layers.Any(l => l.bias is not null))
                     || layers.Any(l => l.ConvertsWeightFor(type))
                     || (layers.Any(l => !l.weight.requires_grad) && layers.Sum(l => l.in_features * l.out_features) > MaxFusedFrozenElements);
        if (apart) return layers.Select(l => l.call(input)).ToArray();
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
        if (quantized is null && !weight.requires_grad && weight.dtype != type)
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

    /// <summary>Quantises a frozen weight in place (int8 or NF4); the bias, if any, stays as it is.</summary>
    /// <returns>The number of weights quantised (0 when the weight trains or is quantised already).</returns>
    public long Quantize(FrozenWeights format)
    {
        if (!format.IsQuantized()) throw new ArgumentException($"{format.Name()} is not a quantised format", nameof(format));
        if (quantized is not null || weight.requires_grad) return 0;
        var old = weight;
        long count = old.numel();
        SetQuantized(QuantizedWeight.From(old, format));
        old.Dispose();
        return count;
    }

    /// <summary>Fills a weight built without storage (or replaces a frozen one) from a loaded tensor, stored as
    /// <paramref name="format"/>: the tensor itself when it already has the stored type, so loading keeps no second
    /// copy. The weight is frozen afterwards unless stored as float32.</summary>
    public void SetStoredWeight(Tensor loaded, FrozenWeights format)
    {
        if (!loaded.shape.SequenceEqual([out_features, in_features]))
            throw new ArgumentException($"weight of shape [{string.Join(", ", loaded.shape)}] for a [{out_features}, {in_features}] layer", nameof(loaded));
        var old = _internal_params.TryGetValue("weight", out var w) ? w : null;
        if (format.IsQuantized())
        {
            // On the meta device (a memory plan) there is nothing to quantise: the stored tensors get their shapes only.
            SetQuantized(loaded.device.type == DeviceType.META ? QuantizedWeight.Empty(loaded.shape, format, loaded.device) : QuantizedWeight.From(loaded, format));
            loaded.Dispose();
        }
        else
        {
            var type = format == FrozenWeights.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;
            Tensor stored;
            using (no_grad()) stored = loaded.dtype == type ? loaded : loaded.to_type(type);
            if (!ReferenceEquals(stored, loaded)) loaded.Dispose();
            quantized?.Dispose();
            quantized = null;
            _internal_params["weight"] = new Parameter(stored, requires_grad: format == FrozenWeights.Float32);
        }
        old?.Dispose();
    }

    private void SetQuantized(QuantizedWeight weights)
    {
        quantized?.Dispose();
        quantized = weights;
        _internal_params.Remove("weight");
    }

    private void Replace(string name, Parameter old, ScalarType type)
    {
        Parameter replacement;
        using (no_grad()) replacement = new Parameter(old.detach().to_type(type), requires_grad: false);
        // TorchSharp refuses to register a name twice; replacing the entry keeps the state dict's order.
        _internal_params[name] = replacement;
        old.Dispose();
    }

    protected override nn.Module _to(Device device, ScalarType dtype, bool nonBlocking)
    {
        quantized?.MoveTo(device);
        return base._to(device, dtype, nonBlocking);
    }

    protected override nn.Module _to(DeviceType deviceType, int deviceIndex, bool nonBlocking)
    {
        quantized?.MoveTo(new Device(deviceType, deviceIndex));
        return base._to(deviceType, deviceIndex, nonBlocking);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            quantized?.Dispose();
            quantized = null;
        }
        base.Dispose(disposing);
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

    /// <summary><c>x Wᵀ</c> for a frozen weight stored in another type: the converted weight is made for the product
    /// and again for the backward pass (<c>∂x = ∂y W</c>) instead of being kept between them, as bitsandbytes'
    /// 4-bit matmul does. The weight gets no gradient: it is frozen.</summary>
    private sealed class FrozenProduct : autograd.SingleTensorFunction<FrozenProduct>
    {
        public override string Name => "CoinFrozenProduct";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (x, layer, type) = ((Tensor)vars[0], (AutocastLinear)vars[1], (ScalarType)vars[2]);
            ctx.save_data("layer", layer);
            ctx.save_data("type", type);
            using var w = layer.ConvertedForProduct(type);
            return F.linear(x, w, null);
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            BackwardHandles.ReleaseReturned();
            var layer = (AutocastLinear)ctx.get_data("layer");
            var type = (ScalarType)ctx.get_data("type");
            Tensor gradient;
            using (var w = layer.ConvertedForProduct(type))
            using (var typed = gradOutput.to_type(type))
                gradient = typed.matmul(w);
            BackwardHandles.Consumed(gradOutput);
            // One gradient per argument of apply: the input's, and none for the layer and the type.
            return [BackwardHandles.Returned(gradient), null!, null!];
        }
    }
}
