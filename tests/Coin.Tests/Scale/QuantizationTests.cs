using Coin.Nn.Layers;
using Coin.Nn.Quantization;
using Coin.Nn.Safetensors;
using Coin.Tests.Support;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Coin.Tests.Scale;

/// <summary>The frozen-base quantisers against tests/data/quantization/reference.safetensors, which
/// make_reference.py wrote with numpy from bitsandbytes' published definitions (not from Coin's code); and the
/// quantised linear layer: its products and input gradients are those of its dequantised weight.</summary>
public class QuantizationTests
{
    private static readonly string Reference = Path.Combine(TestPaths.Root, "tests", "data", "quantization", "reference.safetensors");

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.eq(b).all().item<bool>();

    [TestCase("wide")]
    [TestCase("partial")]
    public void Nf4_codes_absmax_and_values_equal_the_reference_bit_for_bit(string name)
    {
        using var scope = NewDisposeScope();
        using var file = SafetensorsFile.Open(Reference);
        var input = file.Load($"{name}.input");
        var (packed, absmax) = Nf4.Quantize(input);
        var expectedPacked = file.Load($"{name}.nf4.packed");
        Assert.That(Same(packed.narrow(0, 0, expectedPacked.shape[0]), expectedPacked), "packed codes, first element in the high nibble");
        Assert.That(Same(absmax, file.Load($"{name}.nf4.absmax")), "absmax per block of 64");
        Assert.That(Same(Nf4.Dequantize(packed, absmax, input.shape, ScalarType.Float32), file.Load($"{name}.nf4.dequantized")), "dequantised values");
    }

    [TestCase("wide")]
    [TestCase("partial")]
    public void Int8_codes_absmax_and_values_equal_the_reference_bit_for_bit(string name)
    {
        using var scope = NewDisposeScope();
        using var file = SafetensorsFile.Open(Reference);
        var input = file.Load($"{name}.input");
        var (codes, absmax) = Int8Absmax.Quantize(input);
        Assert.That(Same(codes, file.Load($"{name}.int8.codes")), "codes, rounded half to even");
        Assert.That(Same(absmax, file.Load($"{name}.int8.absmax")), "absmax per row");
        Assert.That(Same(Int8Absmax.Dequantize(codes, absmax, ScalarType.Float32), file.Load($"{name}.int8.dequantized")), "dequantised values");
    }

    [Test]
    public void The_code_table_is_bitsandbytes_and_a_midpoint_takes_the_lower_code()
    {
        using var scope = NewDisposeScope();
        using var file = SafetensorsFile.Open(Reference);
        Assert.That(Same(tensor(Nf4.Codes), file.Load("nf4.table")));
        Assert.That(Same(tensor(Nf4.Thresholds), file.Load("nf4.midpoints")));
    }

    [TestCase(FrozenWeights.Int8)]
    [TestCase(FrozenWeights.Nf4)]
    public void A_quantised_layer_computes_with_its_dequantised_weight_and_passes_gradients_to_its_input(FrozenWeights format)
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var layer = new AutocastLinear(96, 40);
        foreach (var p in layer.parameters()) p.requires_grad = false;
        Assert.That(layer.Quantize(format), Is.EqualTo(96 * 40));
        Assert.That(layer.IsQuantized && layer.Storage == format);
        Assert.Throws<InvalidOperationException>(() => _ = layer.weight, "a quantised layer has no weight parameter to misuse");
        Assert.That(layer.parameters().Select(p => p.numel()).Sum(), Is.EqualTo(40), "only the bias is left a parameter");
        var dequantized = layer.WeightAs(ScalarType.Float32);

        var x = randn(3, 7, 96).requires_grad_(true);
        var y = layer.call(x);
        var xRef = x.detach().clone().requires_grad_(true);
        var yRef = F.linear(xRef, dequantized, null) + layer.bias!;
        Assert.That(Same(y, yRef), "forward: the product of the dequantised weight");
        var upstream = randn(3, 7, 40);
        y.backward([upstream]);
        yRef.backward([upstream]);
        Assert.That((x.grad! - xRef.grad!).abs().max().item<float>(), Is.LessThanOrEqualTo(1e-6f * xRef.grad!.abs().max().item<float>()),
            "backward: the weight is dequantised again rather than kept, with the same input gradient");
    }

    [Test]
    public void A_frozen_bfloat16_weight_serves_a_float32_product_without_keeping_a_float32_copy()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        using var layer = new AutocastLinear(64, 32, hasBias: false);
        layer.weight.requires_grad = false;
        layer.StoreFrozenAs(ScalarType.BFloat16);
        var x = randn(4, 64).requires_grad_(true);
        var y = layer.call(x);
        Assert.That(y.dtype, Is.EqualTo(ScalarType.Float32), "the product runs in the input's float32");
        var reference = F.linear(x.detach(), layer.weight.to_type(ScalarType.Float32), null);
        Assert.That(Same(y.detach(), reference));
        y.sum().backward();
        var expected = ones(4, 32).matmul(layer.weight.to_type(ScalarType.Float32));
        Assert.That((x.grad! - expected).abs().max().item<float>(), Is.LessThan(1e-6f));
    }

    [TestCase(FrozenWeights.Nf4)]
    [TestCase(FrozenWeights.Int8)]
    [TestCase(FrozenWeights.BFloat16)]
    public void A_converted_weight_is_freed_with_its_product_not_kept_in_the_callers_scope(FrozenWeights format)
    {
        // A dequantised NF4 weight used to outlive its product through a second handle left in the caller's dispose
        // scope: a 7B step then held every converted weight of a layer at once (1.4 GiB above the plan).
        using var outer = NewDisposeScope();
        manual_seed(7);
        using var layer = new AutocastLinear(128, 96, hasBias: false);
        layer.weight.requires_grad = false;
        if (format == FrozenWeights.BFloat16) layer.StoreFrozenAs(ScalarType.BFloat16);
        else layer.Quantize(format);
        var x = randn(4, 128).requires_grad_(true);
        using var scope = NewDisposeScope();
        var y = layer.call(x);
        y.sum().backward();
        using (no_grad()) layer.call(x);
        var weightSized = scope.DisposablesView.OfType<Tensor>().Where(t => !t.IsInvalid && t.numel() == 128 * 96).ToList();
        Assert.That(weightSized, Is.Empty, "no weight-sized tensor is left in the scope after the products");
    }

    [Test]
    public void Quantising_a_trainable_weight_does_nothing_and_a_trainable_layer_still_learns()
    {
        using var scope = NewDisposeScope();
        using var layer = new AutocastLinear(64, 8);
        Assert.That(layer.Quantize(FrozenWeights.Nf4), Is.EqualTo(0));
        Assert.That(layer.Storage, Is.EqualTo(FrozenWeights.Float32));
    }
}
