using Coin.Nn.Safetensors;
using Coin.Plugins.Adapters.Lora;
using Coin.Plugins.Backbones;
using Coin.Plugins.Backbones.Llama;
using static TorchSharp.torch;

namespace Coin.Tests.Modeling;

/// <summary>LoRA and MoELoRA: exact at initialisation, merge equals unmerged, MoELoRA with one expert is LoRA.</summary>
public class LowRankAdapterTests
{
    private static readonly string[] Targets = ["q_proj", "v_proj", "down_proj"];

    private static LlamaForCausalLM Model(int seed = 4)
    {
        manual_seed(seed);
        var model = new LlamaForCausalLM(LlamaPresets.Resolve(new LlamaBackboneOptions(), vocabSize: 60));
        model.eval();
        return model;
    }

    private static Tensor Logits(LlamaForCausalLM model)
    {
        using var noGrad = no_grad();
        var ids = tensor(new long[] { 7, 1, 44, 3, 19, 2, 8, 8 }, [2, 4]);
        return model.Forward(model.Embed(ids), ones(2, 4, dtype: ScalarType.Int64), null);
    }

    private static void Randomise(IEnumerable<LowRankLayer> layers)
    {
        using var noGrad = no_grad();
        foreach (var p in layers.SelectMany(l => l.Parameters())) p.copy_(randn_like(p) * 0.2);
    }

    [TestCase(1, false)]
    [TestCase(4, true)]
    public void AtInitialisationTheOutputIsExactlyTheBaseModels(int experts, bool gaussianA)
    {
        using var scope = NewDisposeScope();
        using var model = Model();
        var before = Logits(model);
        var layers = LowRankInjector.Inject(model, Targets, rank: 8, alpha: 16, dropout: 0, experts, gaussianA);
        Assert.That(layers, Has.Count.EqualTo(3 * model.Config.NumHiddenLayers));
        Assert.That(Logits(model).eq(before).all().item<bool>(), "B = 0 adds exactly nothing");
    }

    [Test]
    public void MergedEqualsUnmergedAndUnmergeRestoresTheBase()
    {
        using var scope = NewDisposeScope();
        using var model = Model();
        var baseWeight = model.state_dict()["model.layers.0.self_attn.q_proj.weight"].clone();
        var layers = LowRankInjector.Inject(model, Targets, rank: 4, alpha: 8, dropout: 0, experts: 1, gaussianA: false);
        Randomise(layers);
        var unmerged = Logits(model);
        Assert.That((unmerged - Logits(Model())).abs().max().item<float>(), Is.GreaterThan(1e-3f), "the update changes the output");

        layers.ForEach(l => l.Merge());
        Assert.That((Logits(model) - unmerged).abs().max().item<float>(), Is.LessThan(1e-5f));
        layers.ForEach(l => l.Unmerge());
        Assert.That((model.state_dict()["model.layers.0.self_attn.q_proj.weight"] - baseWeight).abs().max().item<float>(), Is.LessThan(1e-6f));
        Assert.That((Logits(model) - unmerged).abs().max().item<float>(), Is.LessThan(1e-5f));
    }

    [Test]
    public void MoeLoraWithOneExpertEqualsLoraWithTheSameWeights()
    {
        using var scope = NewDisposeScope();
        using var lora = Model();
        using var moe = Model();
        var loraLayers = LowRankInjector.Inject(lora, Targets, rank: 4, alpha: 8, dropout: 0, experts: 1, gaussianA: false);
        var moeLayers = LowRankInjector.Inject(moe, Targets, rank: 4, alpha: 8, dropout: 0, experts: 1, gaussianA: true);
        Randomise(loraLayers);
        using (no_grad())
            foreach (var (l, m) in loraLayers.Zip(moeLayers))
            {
                m.A.weight!.copy_(l.A.weight!);
                m.B.weight!.copy_(l.B.weight!);
            }
        Assert.That((Logits(lora) - Logits(moe)).abs().max().item<float>(), Is.LessThan(1e-6f));
    }

    [Test]
    public void MoeLoraExpertsSplitTheRankAndAreNotMergeable()
    {
        using var scope = NewDisposeScope();
        using var model = Model();
        var layers = LowRankInjector.Inject(model, ["q_proj"], rank: 8, alpha: 16, dropout: 0, experts: 4, gaussianA: true);
        var names = model.state_dict().Keys.Where(k => k.Contains("layers.0.self_attn.q_proj.lora")).Order().ToList();
        Assert.That(names, Is.EqualTo(new[]
        {
            "model.layers.0.self_attn.q_proj.lora_A.weight", "model.layers.0.self_attn.q_proj.lora_B.weight",
            "model.layers.0.self_attn.q_proj.lora_router.weight",
        }));
        Assert.That(layers[0].Router!.weight!.shape, Is.EqualTo(new long[] { 4, 64 }));
        Assert.That(layers[0].A.weight!.std().item<float>(), Is.EqualTo(0.01f).Within(0.002f), "A ~ N(0, 0.01)");
        Assert.Throws<InvalidOperationException>(() => layers[0].Merge());
    }

    [Test]
    public void SavedAdapterWeightsReloadIntoAFreshCopyExactly()
    {
        using var scope = NewDisposeScope();
        using var trained = Model();
        var layers = LowRankInjector.Inject(trained, Targets, rank: 4, alpha: 8, dropout: 0, experts: 2, gaussianA: true);
        Randomise(layers);
        string path = Path.Combine(Coin.Tests.Support.TestPaths.NewTemporaryDirectory("adapter"), "adapter.safetensors");
        ModuleWeights.Save(trained, path, include: name => name.Contains(".lora_"));

        using var fresh = Model();
        LowRankInjector.Inject(fresh, Targets, rank: 4, alpha: 8, dropout: 0, experts: 2, gaussianA: true);
        using (var file = SafetensorsCheckpoint.Open(Path.GetDirectoryName(path)!, "adapter"))
            ModuleWeights.Load(fresh, file, ignoreMissing: name => !name.Contains(".lora_"));
        Assert.That(Logits(fresh).eq(Logits(trained)).all().item<bool>());
    }

    [TestCase("q_proj", "model.layers.0.self_attn.q_proj", true)]
    [TestCase("q_proj", "model.layers.0.self_attn.qq_proj", false)]
    [TestCase(@"model\.layers\.1\..*_proj", "model.layers.1.mlp.up_proj", true)]
    [TestCase(@"model\.layers\.1\..*_proj", "model.layers.0.mlp.up_proj", false)]
    public void TargetPatternsMatchNamesOrWholePaths(string pattern, string name, bool expected)
        => Assert.That(LowRankInjector.Matches(name, pattern), Is.EqualTo(expected));
}

/// <summary>MoELoRA's dropout as CoIN's: each expert's branch draws its own mask.</summary>
public class MoeLoraDropoutTests
{
    [Test]
    public void Each_expert_draws_its_own_dropout_mask()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        using var target = new Coin.Nn.Layers.AutocastLinear(64, 2, hasBias: false);
        var layer = new LowRankLayer("t", target, rank: 2, alpha: 2, dropoutRate: 0.5, experts: 2, gaussianA: true);
        using (no_grad())
        {
            target.weight.zero_();
            layer.A.weight.copy_(ones(2, 64));   // both experts' A equal: their branches differ only by their masks
            layer.B.weight.copy_(eye(2));         // expert e writes output e
            layer.Router!.weight.zero_();         // equal gates, 1/2 each
        }
        var x = ones(1, 64);
        target.eval();
        var clean = target.call(x);
        Assert.That(clean[0, 0].item<float>(), Is.EqualTo(32f).Within(1e-3), "no dropout in eval: gate 1/2 × A·x = 32");
        Assert.That(clean[0, 1].item<float>(), Is.EqualTo(32f).Within(1e-3));
        target.train();
        var dropped = target.call(x);
        Assert.That(dropped[0, 0].item<float>(), Is.Not.EqualTo(dropped[0, 1].item<float>()), "two dropout masks, not one shared");
    }
}

/// <summary>DoRA as PEFT computes it, on a 2 × 2 case worked out by hand.</summary>
public class DoraTests
{
    private static (Coin.Nn.Layers.AutocastLinear Target, LowRankLayer Layer) Setup()
    {
        manual_seed(1);
        var target = new Coin.Nn.Layers.AutocastLinear(2, 2, hasBias: true);
        var layer = new LowRankLayer("t", target, rank: 1, alpha: 2, dropoutRate: 0, experts: 1, gaussianA: false, decomposed: true);
        using (no_grad())
        {
            target.weight.copy_(tensor(new float[] { 3, 4, 0, 2 }, [2, 2]));   // rows of norm 5 and 2
            target.bias!.copy_(tensor(new float[] { 1, -1 }));
            layer.Magnitude!.copy_(target.weight.norm(1, keepdim: false, p: 2));  // m = ‖W0‖ = [5, 2], as at initialisation
        }
        return (target, layer);
    }

    [Test]
    public void At_initialisation_the_output_is_the_base_layers_and_m_is_each_rows_norm()
    {
        manual_seed(3);
        var target = new Coin.Nn.Layers.AutocastLinear(3, 2, hasBias: false);
        var w0 = target.weight.detach().clone();
        var layer = new LowRankLayer("t", target, rank: 2, alpha: 4, dropoutRate: 0, experts: 1, gaussianA: false, decomposed: true);
        Assert.That(layer.Magnitude!.allclose(w0.norm(1, keepdim: false, p: 2)), Is.True);
        var x = randn(4, 3);
        Assert.That(target.call(x).allclose(nn.functional.linear(x, w0), rtol: 0, atol: 1e-6), Is.True, "B = 0: W' = ‖W0‖ W0 / ‖W0‖ = W0");
    }

    [Test]
    public void The_output_is_the_magnitude_times_the_normalised_direction()
    {
        var (target, layer) = Setup();
        using (no_grad())
        {
            layer.A.weight.copy_(tensor(new float[] { 1, 0 }, [1, 2]));
            layer.B.weight.copy_(tensor(new float[] { 0, 1 }, [2, 1]));   // s·BA = 2 [[0, 0], [1, 0]]
            layer.Magnitude!.copy_(tensor(new float[] { 10, 1 }));
        }
        // W0 + sBA = [[3, 4], [2, 2]], row norms 5 and √8; W' = [[10·3/5, 10·4/5], [1·2/√8, 1·2/√8]] = [[6, 8], [1/√2, 1/√2]].
        var x = tensor(new float[] { 1, 2 }, [1, 2]);
        double r = 1 / Math.Sqrt(2);
        var expected = new[] { 6 + 16 + 1, r + 2 * r - 1 };
        Assert.That(target.call(x).data<float>().ToArray(), Is.EqualTo(expected).Within(1e-5));

        // Merged: the weight itself becomes W' and the output does not change; unmerged: W0 again.
        layer.Merge();
        Assert.That(target.weight.data<float>().ToArray(), Is.EqualTo(new[] { 6, 8, r, r }).Within(1e-5));
        Assert.That(target.call(x).data<float>().ToArray(), Is.EqualTo(expected).Within(1e-5));
        layer.Unmerge();
        Assert.That(target.weight.data<float>().ToArray(), Is.EqualTo(new float[] { 3, 4, 0, 2 }));
    }

    [Test]
    public void With_the_magnitude_at_the_updated_norm_dora_is_lora_and_m_gets_a_gradient()
    {
        var (target, layer) = Setup();
        using (no_grad())
        {
            layer.A.weight.copy_(tensor(new float[] { 1, 0 }, [1, 2]));
            layer.B.weight.copy_(tensor(new float[] { 0, 1 }, [2, 1]));
            layer.Magnitude!.copy_(tensor(new float[] { 5, (float)Math.Sqrt(8) }));   // ‖W0 + s·BA‖ per row
        }
        var x = tensor(new float[] { 1, 2 }, [1, 2]);
        // LoRA: (W0 + sBA) x + b = [3 + 8, 2 + 4] + [1, −1] = [12, 5].
        var y = target.call(x);
        Assert.That(y.data<float>().ToArray(), Is.EqualTo(new float[] { 12, 5 }).Within(1e-5));
        y.sum().backward();
        // ∂y_i/∂m_i = (W0 + sBA)_i x / ‖·‖_i with the norm constant: 11/5 and 6/√8.
        Assert.That(layer.Magnitude!.grad!.data<float>().ToArray(), Is.EqualTo(new[] { 11 / 5.0, 6 / Math.Sqrt(8) }).Within(1e-5));
    }
}
