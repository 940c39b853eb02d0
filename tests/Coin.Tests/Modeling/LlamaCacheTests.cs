using Coin.Nn.Layers;
using Coin.Plugins.Backbones;
using Coin.Plugins.Backbones.Llama;
using static TorchSharp.torch;

namespace Coin.Tests.Modeling;

/// <summary>Incremental decoding with the key/value cache and left padding give the same logits as a full pass.</summary>
public class LlamaCacheTests
{
    private static LlamaForCausalLM TinyModel()
    {
        manual_seed(3);
        var model = new LlamaForCausalLM(LlamaPresets.Resolve(new LlamaBackboneOptions(), vocabSize: 40));
        model.eval();
        return model;
    }

    [Test]
    public void CachedStepsEqualTheFullPass()
    {
        using var scope = NewDisposeScope();
        using var model = TinyModel();
        using var noGrad = no_grad();
        var ids = tensor(new long[] { 1, 5, 9, 2, 7, 3, 11, 4, 2, 38, 17, 5 }, [2, 6]);
        var full = model.Forward(model.Embed(ids), ones(2, 6, dtype: ScalarType.Int64), null);

        using var cache = new KeyValueCache(model.Config.NumHiddenLayers);
        var prefix = model.Forward(model.Embed(ids.narrow(1, 0, 3)), ones(2, 3, dtype: ScalarType.Int64), cache);
        var steps = new List<Tensor> { prefix };
        for (int t = 3; t < 6; t++)
            steps.Add(model.Forward(model.Embed(ids.narrow(1, t, 1)), ones(2, t + 1, dtype: ScalarType.Int64), cache));
        var incremental = cat(steps, 1);

        Assert.That(cache.Length, Is.EqualTo(6));
        Assert.That((full - incremental).abs().max().item<float>(), Is.LessThan(1e-5f));
    }

    [Test]
    public void LeftPaddingDoesNotChangeTheLogitsOfRealTokens()
    {
        using var scope = NewDisposeScope();
        using var model = TinyModel();
        using var noGrad = no_grad();
        var ids = tensor(new long[] { 4, 8, 15, 16 }, [1, 4]);
        var plain = model.Forward(model.Embed(ids), ones(1, 4, dtype: ScalarType.Int64), null);

        var padded = tensor(new long[] { 0, 0, 4, 8, 15, 16 }, [1, 6]);
        var mask = tensor(new long[] { 0, 0, 1, 1, 1, 1 }, [1, 6]);
        var withPadding = model.Forward(model.Embed(padded), mask, null).narrow(1, 2, 4);

        Assert.That((plain - withPadding).abs().max().item<float>(), Is.LessThan(1e-5f));
    }

    [Test]
    public void ParameterNamesFollowHuggingFace()
    {
        using var model = TinyModel();
        var names = model.state_dict().Keys.ToList();
        Assert.That(names, Does.Contain("model.embed_tokens.weight"));
        Assert.That(names, Does.Contain("model.layers.1.self_attn.q_proj.weight"));
        Assert.That(names, Does.Contain("model.layers.0.mlp.gate_proj.weight"));
        Assert.That(names, Does.Contain("model.layers.0.post_attention_layernorm.weight"));
        Assert.That(names, Does.Contain("model.norm.weight"));
        Assert.That(names, Does.Contain("lm_head.weight"));
        Assert.That(model.state_dict()["model.layers.0.self_attn.k_proj.weight"].shape, Is.EqualTo(new long[] { 32, 64 }), "2 key/value heads of 16");
    }
}
