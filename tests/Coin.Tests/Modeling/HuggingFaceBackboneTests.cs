using System.Text.Json.Nodes;
using Coin.Abstractions.Plugins;
using Coin.Nn.Safetensors;
using Coin.Plugins.Backbones.Llama;
using Coin.Tests.Support;
using static TorchSharp.torch;

namespace Coin.Tests.Modeling;

/// <summary>Hugging Face model folders: config.json + safetensors with HF names load into the right parameters;
/// save then load reproduces outputs exactly; broken folders give clear errors.</summary>
public class HuggingFaceBackboneTests
{
    private const int Vocab = 50, Hidden = 32, Intermediate = 48, Layers = 2, Heads = 4, KvHeads = 2;

    private static void WriteConfig(string folder, string modelType = "llama", bool tie = false)
        => File.WriteAllText(Path.Combine(folder, "config.json"), new JsonObject
        {
            ["model_type"] = modelType, ["vocab_size"] = Vocab, ["hidden_size"] = Hidden, ["intermediate_size"] = Intermediate,
            ["num_hidden_layers"] = Layers, ["num_attention_heads"] = Heads, ["num_key_value_heads"] = KvHeads,
            ["rope_theta"] = 500000.0, ["rms_norm_eps"] = 1e-5, ["tie_word_embeddings"] = tie,
        }.ToJsonString());

    /// <summary>Tensors named as a Hugging Face LLaMA checkpoint names them, built here independently of our module.</summary>
    private static Dictionary<string, Tensor> HuggingFaceTensors(bool withBias = false)
    {
        manual_seed(11);
        int kv = KvHeads * Hidden / Heads;
        var tensors = new Dictionary<string, Tensor>
        {
            ["model.embed_tokens.weight"] = randn(Vocab, Hidden),
            ["model.norm.weight"] = rand(Hidden),
            ["lm_head.weight"] = randn(Vocab, Hidden),
        };
        for (int i = 0; i < Layers; i++)
        {
            string p = $"model.layers.{i}.";
            tensors[p + "self_attn.q_proj.weight"] = randn(Hidden, Hidden) * 0.1;
            tensors[p + "self_attn.k_proj.weight"] = randn(kv, Hidden) * 0.1;
            tensors[p + "self_attn.v_proj.weight"] = randn(kv, Hidden) * 0.1;
            tensors[p + "self_attn.o_proj.weight"] = randn(Hidden, Hidden) * 0.1;
            tensors[p + "mlp.gate_proj.weight"] = randn(Intermediate, Hidden) * 0.1;
            tensors[p + "mlp.up_proj.weight"] = randn(Intermediate, Hidden) * 0.1;
            tensors[p + "mlp.down_proj.weight"] = randn(Hidden, Intermediate) * 0.1;
            tensors[p + "input_layernorm.weight"] = rand(Hidden);
            tensors[p + "post_attention_layernorm.weight"] = rand(Hidden);
            if (withBias)
                foreach (var (name, width) in new[] { ("q_proj", Hidden), ("k_proj", kv), ("v_proj", kv) })
                    tensors[p + $"self_attn.{name}.bias"] = randn(width);
        }
        return tensors;
    }

    private static Tensor Logits(LlamaForCausalLM model)
    {
        using var noGrad = no_grad();
        var ids = tensor(new long[] { 3, 14, 15, 9, 26, 5 }, [1, 6]);
        return model.Forward(model.Embed(ids), ones(1, 6, dtype: ScalarType.Int64), null);
    }

    [Test]
    public void HuggingFaceNamedTensorsLoadIntoTheRightParameters()
    {
        using var scope = NewDisposeScope();
        string folder = TestPaths.NewTemporaryDirectory("hf");
        WriteConfig(folder);
        var tensors = HuggingFaceTensors();
        SafetensorsWriter.Save(Path.Combine(folder, "model.safetensors"), tensors.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.to_type(ScalarType.BFloat16))));

        using var model = HuggingFaceCheckpoint.Load(folder);
        Assert.That(model.Config.RopeTheta, Is.EqualTo(500000.0));
        var state = model.state_dict();
        foreach (var (name, expected) in tensors)
            Assert.That(state[name].eq(expected.to_type(ScalarType.BFloat16).to_type(ScalarType.Float32)).all().item<bool>(), name);
    }

    [Test]
    public void SaveThenLoadReproducesTheOutputsExactly()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        using var original = new LlamaForCausalLM(new LlamaConfig(Vocab, Hidden, Intermediate, Layers, Heads, KvHeads));
        string folder = TestPaths.NewTemporaryDirectory("hf");
        HuggingFaceCheckpoint.Save(original, folder);
        using var loaded = HuggingFaceCheckpoint.Load(folder);
        Assert.That(Logits(loaded).eq(Logits(original)).all().item<bool>());
    }

    [Test]
    public void ShardedCheckpointsLoadThroughTheirIndex()
    {
        using var scope = NewDisposeScope();
        string folder = TestPaths.NewTemporaryDirectory("hf");
        WriteConfig(folder, modelType: "qwen2");
        var tensors = HuggingFaceTensors(withBias: true);
        var first = tensors.Where(kv => kv.Key.Contains("layers.0")).ToDictionary();
        var second = tensors.Where(kv => !kv.Key.Contains("layers.0")).ToDictionary();
        SafetensorsWriter.Save(Path.Combine(folder, "model-00001-of-00002.safetensors"), first);
        SafetensorsWriter.Save(Path.Combine(folder, "model-00002-of-00002.safetensors"), second);
        var map = new JsonObject();
        foreach (var name in first.Keys) map[name] = "model-00001-of-00002.safetensors";
        foreach (var name in second.Keys) map[name] = "model-00002-of-00002.safetensors";
        File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"), new JsonObject { ["weight_map"] = map }.ToJsonString());

        using var model = HuggingFaceCheckpoint.Load(folder);
        Assert.That(model.Config.AttentionBias, Is.True, "qwen2 has q/k/v biases");
        Assert.That(model.state_dict()["model.layers.1.self_attn.k_proj.bias"].eq(tensors["model.layers.1.self_attn.k_proj.bias"]).all().item<bool>());
    }

    [Test]
    public void AMissingTensorIsNamed()
    {
        using var scope = NewDisposeScope();
        string folder = TestPaths.NewTemporaryDirectory("hf");
        WriteConfig(folder);
        var tensors = HuggingFaceTensors();
        tensors.Remove("model.layers.1.mlp.up_proj.weight");
        tensors["model.layers.0.extra.weight"] = ones(2);
        SafetensorsWriter.Save(Path.Combine(folder, "model.safetensors"), tensors);
        var error = Assert.Throws<CoinUserException>(() => HuggingFaceCheckpoint.Load(folder));
        Assert.That(error!.Message, Does.Contain("missing tensors: model.layers.1.mlp.up_proj.weight").And.Contain("unexpected tensors: model.layers.0.extra.weight"));
    }

    [Test]
    public void TiedEmbeddingsNeedNoLmHeadInTheFile()
    {
        using var scope = NewDisposeScope();
        string folder = TestPaths.NewTemporaryDirectory("hf");
        WriteConfig(folder, tie: true);
        var tensors = HuggingFaceTensors();
        tensors.Remove("lm_head.weight");
        SafetensorsWriter.Save(Path.Combine(folder, "model.safetensors"), tensors);
        using var model = HuggingFaceCheckpoint.Load(folder);
        Assert.That(model.state_dict().ContainsKey("lm_head.weight"), Is.False, "one shared weight, held once");
        Assert.That(model.state_dict()["model.embed_tokens.weight"].eq(tensors["model.embed_tokens.weight"]).all().item<bool>());

        // A tied checkpoint that also stores the head (a copy of the embeddings) loads too.
        SafetensorsWriter.Save(Path.Combine(folder, "model.safetensors"), HuggingFaceTensors());
        using var withHead = HuggingFaceCheckpoint.Load(folder);
        Assert.That(withHead.state_dict().ContainsKey("lm_head.weight"), Is.False);
    }

    [Test]
    public void AnUnsupportedModelTypeIsNamed()
    {
        string folder = TestPaths.NewTemporaryDirectory("hf");
        WriteConfig(folder, modelType: "gpt_neox");
        var error = Assert.Throws<CoinUserException>(() => HuggingFaceCheckpoint.Load(folder));
        Assert.That(error!.Message, Does.Contain("model_type 'gpt_neox' is not supported; accepted: llama, qwen2, mistral"));
    }
}
