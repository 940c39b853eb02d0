using Coin.Abstractions.Components;
using Coin.Nn.Layers;
using Coin.Plugins.Adapters.Lora;
using Coin.Plugins.Backbones.Llama;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Coin.Tests.Scale;

/// <summary>Activation checkpointing (Recompute) gives the gradients of the plain backward pass: float32, relative
/// error at most 1e-6, with LoRA dropout drawing the same masks in the recomputation, with every parameter training
/// and with a frozen base stored in bfloat16 or NF4.</summary>
public class ActivationCheckpointingTests
{
    private static LlamaConfig Config => new(VocabSize: 64, HiddenSize: 48, IntermediateSize: 80, NumHiddenLayers: 3, NumAttentionHeads: 4, NumKeyValueHeads: 2);

    private static (double Loss, Dictionary<string, Tensor> Gradients) Step(LlamaForCausalLM model, Tensor ids, bool checkpointing)
    {
        foreach (var p in model.parameters()) p.grad = null;
        manual_seed(99);
        Tensor loss;
        using (Recompute.Use(checkpointing))
        {
            var logits = model.Forward(model.Embed(ids), ones_like(ids), null);
            loss = F.cross_entropy(logits.narrow(1, 0, ids.shape[1] - 1).reshape(-1, 64), ids.narrow(1, 1, ids.shape[1] - 1).reshape(-1));
        }
        loss.backward();
        return (loss.item<float>(), model.named_parameters().Where(p => p.parameter.requires_grad)
            .ToDictionary(p => p.name, p => p.parameter.grad!.detach().clone()));
    }

    private static void AssertSameGradients((double Loss, Dictionary<string, Tensor> Gradients) plain, (double Loss, Dictionary<string, Tensor> Gradients) recomputed)
    {
        Assert.That(recomputed.Loss, Is.EqualTo(plain.Loss), "the forward pass is the same computation");
        Assert.That(recomputed.Gradients.Keys, Is.EquivalentTo(plain.Gradients.Keys));
        foreach (var (name, expected) in plain.Gradients)
        {
            double scale = Math.Max(expected.abs().max().item<float>(), 1e-12);
            double error = (recomputed.Gradients[name] - expected).abs().max().item<float>() / scale;
            Assert.That(error, Is.LessThanOrEqualTo(1e-6), $"{name}: relative error {error:E2}");
        }
    }

    [Test]
    public void Every_parameter_training_gets_the_same_gradients()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var model = new LlamaForCausalLM(Config);
        var ids = randint(0, 64, [2, 12]);
        long before = Recompute.BlocksRun;
        var plain = Step(model, ids, checkpointing: false);
        Assert.That(Recompute.BlocksRun, Is.EqualTo(before), "off: no block is recomputed");
        var recomputed = Step(model, ids, checkpointing: true);
        Assert.That(Recompute.BlocksRun - before, Is.GreaterThanOrEqualTo(3), "on: each decoder layer is a recomputed block");
        AssertSameGradients(plain, recomputed);
    }

    [TestCase(null)]
    [TestCase(Coin.Nn.Quantization.FrozenWeights.BFloat16)]
    [TestCase(Coin.Nn.Quantization.FrozenWeights.Nf4)]
    public void LoRA_with_dropout_on_a_frozen_base_gets_the_same_gradients(Coin.Nn.Quantization.FrozenWeights? storage)
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        using var model = new LlamaForCausalLM(Config);
        foreach (var p in model.parameters()) p.requires_grad = false;
        var layers = LowRankInjector.Inject(model, ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], rank: 4, alpha: 8, dropout: 0.3,
            experts: 1, gaussianA: false);
        using (no_grad())
            foreach (var layer in layers) layer.B.weight.normal_(0, 0.05);
        foreach (var linear in model.modules().OfType<AutocastLinear>().Where(l => !l.weight.requires_grad))
        {
            if (storage == Coin.Nn.Quantization.FrozenWeights.BFloat16) linear.StoreFrozenAs(ScalarType.BFloat16);
            else if (storage == Coin.Nn.Quantization.FrozenWeights.Nf4) linear.Quantize(Coin.Nn.Quantization.FrozenWeights.Nf4);
        }
        // Trainable: the LoRA factors (and an input that needs a gradient: the spliced image features in a real run).
        var ids = randint(0, 64, [2, 10]);
        AssertSameGradients(Step(model, ids, checkpointing: false), Step(model, ids, checkpointing: true));
    }

    [Test]
    public void Without_gradients_checkpointing_changes_nothing()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var model = new LlamaForCausalLM(Config);
        var ids = randint(0, 64, [1, 8]);
        using var noGrad = no_grad();
        var plain = model.Forward(model.Embed(ids), ones_like(ids), null);
        Tensor recomputed;
        using (Recompute.Use(true)) recomputed = model.Forward(model.Embed(ids), ones_like(ids), null);
        Assert.That(recomputed.eq(plain).all().item<bool>());
    }

    [Test]
    public void The_backward_pass_keeps_no_handle_of_a_gradient_it_is_done_with()
    {
        // TorchSharp wraps every gradient a custom function receives, and the one it returns, in handles of the step's
        // scope: each kept a hidden-state-sized tensor per layer alive until the step ended (0.9 GB at 7B widths).
        const int layers = 8, size = 3 * 64 * 40;
        using var outer = NewDisposeScope();
        manual_seed(3);
        var weights = Enumerable.Range(0, layers).Select(_ => new TorchSharp.Modules.Parameter(randn(40))).ToList();
        var x = randn(3, 64, 40);
        var h = x;
        using (Recompute.Use(true))
            foreach (var w in weights) h = Recompute.Run(h, t => (t * w).tanh());
        int beforeBackward = outer.DisposablesView.OfType<Tensor>().Count(t => !t.IsInvalid && t.numel() == size);
        h.sum().backward();
        int live = outer.DisposablesView.OfType<Tensor>().Count(t => !t.IsInvalid && t.numel() == size);
        // Of the backward pass's own handles at most one is left: the last gradient returned.
        Assert.That(live - beforeBackward, Is.LessThanOrEqualTo(1), $"{live - beforeBackward} hidden-state-sized handles left by the backward pass of {layers} layers");
        Assert.That(weights.All(w => w.grad is { } g && g.abs().sum().item<float>() > 0), "every layer got its gradient");
    }
}
