using Coin.Abstractions.Components;
using Coin.Nn.Layers;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Coin.Tests.Nn;

/// <summary>The linear layer that follows the compute precision: initialised as nn.Linear, bfloat16 inside a
/// precision region with float32 gradients, frozen weights storable in bfloat16, fused products equal to separate ones.</summary>
public class AutocastLinearTests
{
    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    [TestCase(true)]
    [TestCase(false)]
    public void Initialisation_draws_what_nn_Linear_draws(bool hasBias)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        using var reference = nn.Linear(24, 10, hasBias: hasBias);
        var after = randn(3);
        manual_seed(11);
        using var ours = new AutocastLinear(24, 10, hasBias: hasBias);
        Assert.That(Same(ours.weight, reference.weight!), "the same weights from the same seed");
        if (hasBias) Assert.That(Same(ours.bias!, reference.bias!), "the same bias");
        Assert.That(Same(randn(3), after), "and the generator is left where nn.Linear leaves it");
        Assert.That(ours.state_dict().Keys, Is.EqualTo(reference.state_dict().Keys));
    }

    [Test]
    public void Inside_a_bfloat16_region_the_product_is_bfloat16_and_the_gradient_float32()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var layer = new AutocastLinear(64, 32);
        var x = randn(8, 64);
        var exact = layer.call(x);
        Tensor mixed;
        using (ComputePrecision.Use(ScalarType.BFloat16)) mixed = layer.call(x);
        Assert.That(exact.dtype, Is.EqualTo(ScalarType.Float32));
        Assert.That(mixed.dtype, Is.EqualTo(ScalarType.BFloat16));
        double relative = (mixed.to_type(ScalarType.Float32) - exact).norm().item<float>() / exact.norm().item<float>();
        Assert.That(relative, Is.GreaterThan(0).And.LessThan(1e-2), "bfloat16 rounding: 8 bits of mantissa");
        mixed.to_type(ScalarType.Float32).sum().backward();
        Assert.That(layer.weight.grad!.dtype, Is.EqualTo(ScalarType.Float32), "the master weight's gradient is float32");
        Assert.That(layer.weight.dtype, Is.EqualTo(ScalarType.Float32));
    }

    [Test]
    public void Frozen_weights_are_stored_in_bfloat16_and_trainable_ones_are_not()
    {
        using var scope = NewDisposeScope();
        using var frozen = new AutocastLinear(16, 8);
        using var trainable = new AutocastLinear(16, 8);
        foreach (var p in frozen.parameters()) p.requires_grad = false;
        var before = frozen.weight.detach().clone();
        Assert.That(frozen.StoreFrozenAs(ScalarType.BFloat16), Is.EqualTo(16 * 8 + 8));
        Assert.That(trainable.StoreFrozenAs(ScalarType.BFloat16), Is.EqualTo(0));
        Assert.That(frozen.weight.dtype, Is.EqualTo(ScalarType.BFloat16));
        Assert.That(trainable.weight.dtype, Is.EqualTo(ScalarType.Float32));
        Assert.That(frozen.state_dict().Keys, Is.EqualTo(new[] { "weight", "bias" }), "names and order unchanged");
        Assert.That(frozen.parameters().Count(), Is.EqualTo(2), "converted, not added");
        Assert.That(Same(frozen.weight.to_type(ScalarType.Float32), before.to_type(ScalarType.BFloat16).to_type(ScalarType.Float32)));
        // A float32 pass over a bfloat16-stored weight computes in float32 with the rounded weight.
        var x = randn(2, 16);
        Assert.That(frozen.call(x).dtype, Is.EqualTo(ScalarType.Float32));
    }

    [Test]
    public void A_fused_product_equals_the_separate_ones_and_keeps_each_delta()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var a = new AutocastLinear(12, 6);
        using var b = new AutocastLinear(12, 4);
        var extra = randn(12, 4);
        b.AddDelta(input => input.matmul(extra));
        var x = randn(3, 5, 12, requires_grad: true);
        var fused = AutocastLinear.Fused(x, a, b);
        Assert.That((fused[0] - a.call(x)).abs().max().item<float>(), Is.LessThan(1e-6f));
        Assert.That((fused[1] - b.call(x)).abs().max().item<float>(), Is.LessThan(1e-6f));
        (fused[0].sum() + fused[1].square().sum()).backward();
        var fusedGrad = a.weight.grad!.clone();
        a.zero_grad();
        b.zero_grad();
        (a.call(x).sum() + b.call(x).square().sum()).backward();
        Assert.That((fusedGrad - a.weight.grad!).abs().max().item<float>(), Is.LessThan(1e-5f), "gradients reach each layer's own weight");
    }

    [Test]
    public void Deltas_are_added_and_their_handles_dropped_but_never_the_input()
    {
        using var scope = NewDisposeScope();
        manual_seed(8);
        using var layer = new AutocastLinear(6, 6, hasBias: false);
        var extra = randn(6, 6);
        Tensor? update = null;
        layer.AddDelta(input => update = input.matmul(extra));
        layer.AddDelta(input => input);   // a delta may not return its input (AddDelta's contract), but if it does, the input survives
        var x = randn(2, 6, requires_grad: true);
        var y = layer.call(x);
        Assert.That(x.IsInvalid, Is.False, "the input is the caller's");
        Assert.That(update!.IsInvalid, Is.True, "an added update is disposed at once");
        var expected = F.linear(x.detach(), layer.weight.detach(), null) + x.detach().matmul(extra) + x.detach();
        Assert.That((y.detach() - expected).abs().max().item<float>(), Is.LessThan(1e-5f));
        y.square().sum().backward();
        var grad = x.grad!.clone();
        x.grad!.zero_();
        var reference = F.linear(x, layer.weight, null) + x.matmul(extra) + x;
        reference.square().sum().backward();
        Assert.That((grad - x.grad!).abs().max().item<float>(), Is.LessThan(1e-5f), "the backward pass is unchanged");
    }

    [Test]
    public void Frozen_bfloat16_weights_are_cast_into_one_reused_buffer_and_give_a_fresh_casts_numbers()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var layers = Enumerable.Range(0, 3).Select(_ => new AutocastLinear(64, 48, hasBias: false)).ToList();
        foreach (var layer in layers)
        {
            layer.weight.requires_grad = false;
            layer.StoreFrozenAs(ScalarType.BFloat16);
        }
        var x = randn(8, 64).requires_grad_(true);
        var h = x;
        var expected = x;
        foreach (var layer in layers.Take(1))
        {
            h = layer.call(h);
            expected = F.linear(expected, layer.weight.to_type(ScalarType.Float32));
        }
        Assert.That(Same(h, expected), "forward: the same numbers as a fresh float32 cast");
        h.sum().backward();
        var gradient = x.grad!.clone();
        x.grad!.zero_();
        F.linear(x, layers[0].weight.to_type(ScalarType.Float32)).sum().backward();
        Assert.That(Same(gradient, x.grad!), "backward: the same input gradient");

        // Every conversion writes into one buffer, grown to the largest weight: a smaller one views its prefix.
        ConversionBuffers.Release();
        using (var large = ConversionBuffers.For([48, 64], ScalarType.Float32, CPU)) large.fill_(7);
        using (var small = ConversionBuffers.For([16, 8], ScalarType.Float32, CPU))
            Assert.That(small.eq(7).all().item<bool>(), "a smaller weight's view is the same storage");
        using (var larger = ConversionBuffers.For([64, 64], ScalarType.Float32, CPU))
            Assert.That(larger.shape, Is.EqualTo(new long[] { 64, 64 }), "the buffer grows for a larger weight");
        Assert.That(ConversionBuffers.BytesFor([48L * 64, 64L * 48, 32L * 64], 4), Is.EqualTo(48L * 64 * 4), "the plan counts the largest");
        layers.ForEach(l => l.Dispose());
    }
}
