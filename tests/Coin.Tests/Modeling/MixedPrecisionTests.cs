using Coin.Abstractions.Components;
using Coin.Engine.Results;
using Coin.Engine.Running;
using Coin.Nn.Layers;
using Coin.Plugins.Backbones;
using Coin.Plugins.Backbones.Llama;
using Coin.Tests.Support;
using static TorchSharp.torch;

namespace Coin.Tests.Modeling;

/// <summary>bfloat16 mixed precision: logits close to float32's within bfloat16's rounding, a training step that
/// updates float32 master weights, frozen linear weights stored in bfloat16.</summary>
public class MixedPrecisionTests
{
    [TestCase("tiny")]
    [TestCase("small")]
    public void Mixed_precision_logits_equal_float32_logits_within_bfloat16_tolerance(string preset)
    {
        using var scope = NewDisposeScope();
        manual_seed(8);
        using var model = new LlamaForCausalLM(LlamaPresets.Resolve(new LlamaBackboneOptions { Preset = preset }, vocabSize: 300));
        model.eval();
        using var noGrad = no_grad();
        var ids = randint(0, 300, [3, 40]);
        // Right padding on one row, left padding on another: both attention paths (causal only and masked).
        var mask = ones(3, 40, dtype: ScalarType.Int64);
        mask[0, TensorIndex.Slice(30)] = 0;
        foreach (var m in new[] { ones(3, 40, dtype: ScalarType.Int64), mask })
        {
            var exact = model.Forward(model.Embed(ids), m, null);
            Tensor mixed;
            using (ComputePrecision.Use(ScalarType.BFloat16)) mixed = model.Forward(model.Embed(ids), m, null);
            Assert.That(mixed.dtype, Is.EqualTo(ScalarType.Float32), "logits come back in float32");
            var real = m.to_type(ScalarType.Bool).unsqueeze(-1).expand_as(exact);
            double relative = ((mixed - exact) * real).norm().item<float>() / (exact * real).norm().item<float>();
            // bfloat16 keeps 8 bits of mantissa (relative rounding 2^-9 = 0.2% per product); over a few layers the
            // logits move by about 1%. 3% is the bound; float32 against itself is exact, so this cannot pass by accident.
            Assert.That(relative, Is.GreaterThan(1e-5).And.LessThan(0.03), $"relative error {relative:E2}");
            var agree = mixed.argmax(-1).eq(exact.argmax(-1)).to_type(ScalarType.Float32).mean().item<float>();
            Assert.That(agree, Is.GreaterThan(0.9f), "the most likely token mostly agrees");
        }
    }

    [Test]
    public void A_mixed_precision_step_updates_float32_master_weights_and_keeps_frozen_weights_in_bfloat16()
    {
        using var scope = NewDisposeScope();
        var (experiment, run) = InProcessExperiment.Compose(new Dictionary<string, string?>
        {
            ["model:adapter:type"] = "lora",
            ["training:precision"] = "bfloat16",
            ["training:epochs"] = "1",
            ["data:options:trainPerTask"] = "32",
        });
        using var disposeRun = run;
        var model = run.Model;
        var trainable = model.TrainableGroups.SelectMany(g => g.Parameters).ToList();
        Assert.That(trainable.Select(p => p.dtype), Is.All.EqualTo(ScalarType.Float32), "trainable parameters are float32 masters");
        var linears = model.Backbone.Module.modules().OfType<AutocastLinear>().ToList();
        var frozenLinears = linears.Where(l => !l.weight.requires_grad).ToList();
        Assert.That(frozenLinears, Is.Not.Empty);
        Assert.That(frozenLinears.Select(l => l.weight.dtype), Is.All.EqualTo(ScalarType.BFloat16), "frozen linear weights are stored in bfloat16");
        Assert.That(run.FrozenWeightsConverted, Is.EqualTo(frozenLinears.Sum(l => l.weight.numel())));

        var before = trainable.Select(p => p.detach().clone()).ToList();
        var task = run.Data.Tasks[0];
        var summary = TaskTrainer.For(run, experiment.Config.Training, new StepLog(), seed: 1).Train(task, run.Data.LoadTrain(task), 0, new NoProgress());
        Assert.That(summary.Steps, Is.EqualTo(2));
        Assert.That(double.IsFinite(summary.FinalLoss));
        Assert.That(trainable.Select(p => p.dtype), Is.All.EqualTo(ScalarType.Float32));
        Assert.That(trainable.Zip(before).Count(pair => !pair.First.eq(pair.Second).all().item<bool>()), Is.GreaterThan(trainable.Count / 2),
            "the optimiser updated the float32 masters");
    }
}
