using System.Text.Json.Nodes;
using Coin.Abstractions.Plugins;
using Coin.Nn.Layers;
using Coin.Nn.Safetensors;
using Coin.Plugins.Backbones.Llama;
using Coin.Tests.Support;
using static TorchSharp.torch;

namespace Coin.Tests.Modeling;

/// <summary>Config variants of LLaMA, Qwen2 and Mistral checkpoints — rotary scaling (linear, dynamic, llama3, yarn;
/// rope_scaling and v5's rope_parameters), head_dim, biases, activations, sliding windows — give the logits of a
/// reference forward pass (tests/data/hf-llama/make_goldens.py, written from transformers' modeling code in PyTorch),
/// and fields that would change the model without being implemented stop the load.</summary>
[Parallelizable(ParallelScope.All)]
public class HuggingFaceVariantTests
{
    private static string Folder(string variant) => Path.Combine(TestPaths.Root, "tests", "data", "hf-llama", variant);

    public static IEnumerable<string> Variants => Directory.GetDirectories(Path.Combine(TestPaths.Root, "tests", "data", "hf-llama"))
        .Select(Path.GetFileName).Order()!;

    private static (long[] Ids, float[,] Logits) Expected(string variant)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder(variant), "expected.json")))!;
        long[] ids = json["input_ids"]!.AsArray().Select(v => (long)v!).ToArray();
        var rows = json["logits"]!.AsArray();
        var logits = new float[rows.Count, rows[0]!.AsArray().Count];
        for (int t = 0; t < rows.Count; t++)
            for (int v = 0; v < logits.GetLength(1); v++) logits[t, v] = (float)(double)rows[t]![v]!;
        return (ids, logits);
    }

    private static Tensor Logits(LlamaForCausalLM model, long[] ids)
    {
        using var noGrad = no_grad();
        model.eval();
        var input = tensor(ids, [1, ids.Length]);
        return model.Forward(model.Embed(input), ones(1, ids.Length, dtype: ScalarType.Int64), null)[0];
    }

    /// <summary>max |ours − reference| / max |reference|.</summary>
    private static double RelativeError(Tensor ours, float[,] reference)
    {
        var expected = tensor(reference);
        return (ours - expected).abs().max().item<float>() / (double)expected.abs().max().item<float>();
    }

    [TestCaseSource(nameof(Variants))]
    public void Each_variant_gives_the_reference_logits(string variant)
    {
        using var scope = NewDisposeScope();
        var (ids, expected) = Expected(variant);
        using var model = HuggingFaceCheckpoint.Load(Folder(variant));
        Assert.That(RelativeError(Logits(model, ids), expected), Is.LessThanOrEqualTo(1e-5), variant);
    }

    [TestCase("llama-rope-linear")]
    [TestCase("llama-rope-dynamic")]
    [TestCase("llama-rope-llama3")]
    [TestCase("llama-rope-parameters-v5")]
    [TestCase("llama-rope-yarn")]
    [TestCase("llama-rope-yarn-mscale")]
    [TestCase("qwen2-sliding-window")]
    [TestCase("mistral-sliding-window")]
    public void Without_its_distinctive_field_the_model_would_be_different(string variant)
    {
        // The check above could not fail if the field made no difference on these inputs: ignoring it must.
        using var scope = NewDisposeScope();
        var (ids, expected) = Expected(variant);
        using var loaded = HuggingFaceCheckpoint.Load(Folder(variant));
        var plain = loaded.Config with { Rope = null, SlidingWindow = null };
        using var model = ModuleWeights.LoadFolder(new LlamaForCausalLM(plain), Folder(variant));
        Assert.That(RelativeError(Logits(model, ids), expected), Is.GreaterThan(1e-3), variant);
    }

    [TestCase("qwen2-sliding-window")]
    [TestCase("mistral-sliding-window")]
    [TestCase("llama-rope-yarn")]
    public void Cached_decoding_gives_the_reference_logits_too(string variant)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (ids, expected) = Expected(variant);
        using var model = HuggingFaceCheckpoint.Load(Folder(variant));
        model.eval();
        using var cache = new KeyValueCache(model.Config.NumHiddenLayers);
        int prefix = 8;
        var steps = new List<Tensor> { model.Forward(model.Embed(tensor(ids[..prefix], [1, prefix])), ones(1, prefix, dtype: ScalarType.Int64), cache)[0] };
        for (int t = prefix; t < ids.Length; t++)
            steps.Add(model.Forward(model.Embed(tensor(new[] { ids[t] }, [1, 1])), ones(1, t + 1, dtype: ScalarType.Int64), cache)[0]);
        var decoded = cat(steps, 0);
        // (Not dynamic NTK: its frequencies follow each pass's longest position, in transformers as here, so a
        // decoded sequence and one full pass over it are different computations.)
        Assert.That(RelativeError(decoded, expected), Is.LessThanOrEqualTo(1e-5), variant);
    }

    private static string WithConfig(Action<JsonObject> change)
    {
        string folder = TestPaths.NewTemporaryDirectory("hf-variant");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder("llama-default"), "config.json")))!.AsObject();
        change(config);
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        File.Copy(Path.Combine(Folder("llama-default"), "model.safetensors"), Path.Combine(folder, "model.safetensors"));
        return folder;
    }

    [TestCase("rope_scaling", """{ "rope_type": "longrope", "short_factor": [1], "long_factor": [2] }""", "rope_scaling.rope_type is 'longrope'; implemented: default, linear, dynamic, llama3, yarn")]
    [TestCase("rope_scaling", """{ "rope_type": "llama3", "factor": 8.0 }""", "rope_scaling.low_freq_factor is missing; rope type 'llama3' needs it")]
    [TestCase("rope_scaling", """{ "rope_type": "linear", "factor": 2.0, "low_freq_factor": 1.0 }""", "rope_scaling.low_freq_factor (1.0) is not a parameter of rope type 'linear'")]
    [TestCase("rope_parameters", """{ "rope_type": "default", "rope_theta": 500000.0 }""", "rope_theta is 10000 but rope_parameters.rope_theta is 500000")]
    [TestCase("rope_parameters", """{ "full_attention": { "rope_type": "default" }, "sliding_attention": { "rope_type": "default" } }""", "per-layer rotary embeddings are not implemented")]
    [TestCase("partial_rotary_factor", "0.5", "field 'partial_rotary_factor' (0.5) is not implemented and may change the model")]
    [TestCase("hidden_act", "\"gelu_fast\"", "hidden_act 'gelu_fast' is not supported; supported: silu, swish, gelu, gelu_pytorch_tanh, gelu_new, quick_gelu, relu")]
    [TestCase("attention_dropout", "0.1", "attention_dropout is 0.1; attention dropout is not implemented (only 0 is)")]
    [TestCase("quantization_config", """{ "quant_method": "gptq", "bits": 4 }""", "field 'quantization_config' ({\"quant_method\":\"gptq\",\"bits\":4}) is not implemented and may change the model")]
    [TestCase("use_mrope", "true", "field 'use_mrope' (true) is not implemented")]
    public void A_field_that_would_change_the_model_stops_the_load_naming_it(string key, string value, string message)
    {
        string folder = WithConfig(c => c[key] = JsonNode.Parse(value));
        var error = Assert.Throws<CoinUserException>(() => HuggingFaceCheckpoint.Load(folder))!;
        Assert.That(error.Message, Does.StartWith(Path.Combine(folder, "config.json") + ": ").And.Contain(message));
    }

    [TestCase(1_000_000_000)]
    [TestCase(1)]
    public void A_layer_count_the_weights_do_not_hold_is_refused_before_the_model_is_built(int layers)
    {
        // 10⁹ layers used to be built one by one (hours) before the first missing tensor was noticed.
        string folder = WithConfig(c => c["num_hidden_layers"] = layers);
        var error = Assert.Throws<CoinUserException>(() => HuggingFaceCheckpoint.Load(folder))!;
        Assert.That(error.Message, Does.StartWith($"{Path.Combine(folder, "config.json")}: num_hidden_layers is {layers}, but ")
            .And.Contain("model.safetensors holds 2 layers (model.layers.0 to model.layers.1); the two must agree"));
    }

    [Test]
    public void Harmless_and_user_accepted_fields_load()
    {
        using var scope = NewDisposeScope();
        var (ids, expected) = Expected("llama-default");
        string folder = WithConfig(c =>
        {
            c["architectures"] = new JsonArray("LlamaForCausalLM");
            c["bos_token_id"] = 1;
            c["pretraining_tp"] = 1;
            c["transformers_version"] = "4.57.0";
            c["my_lab_note"] = "fine-tuned on week 3";
        });
        Assert.Throws<CoinUserException>(() => HuggingFaceCheckpoint.Load(folder), "an unknown field is refused");
        using var model = HuggingFaceCheckpoint.Load(folder, ["my_lab_note"]);
        Assert.That(RelativeError(Logits(model, ids), expected), Is.LessThanOrEqualTo(1e-5));
    }

    [TestCase("llama-rope-llama3")]
    [TestCase("llama-head-dim-biases-gelu")]
    [TestCase("qwen2-sliding-window")]
    [TestCase("mistral-sliding-window")]
    [TestCase("llama-rope-yarn-mscale")]
    public void Saved_then_loaded_again_the_model_is_the_same(string variant)
    {
        using var scope = NewDisposeScope();
        var (ids, _) = Expected(variant);
        using var model = HuggingFaceCheckpoint.Load(Folder(variant));
        string folder = TestPaths.NewTemporaryDirectory("hf-variant-saved");
        HuggingFaceCheckpoint.Save(model, folder);
        using var again = HuggingFaceCheckpoint.Load(folder);
        Assert.That(again.Config with { SlidingLayers = null }, Is.EqualTo(model.Config with { SlidingLayers = null }));
        Assert.That(Logits(again, ids).eq(Logits(model, ids)).all().item<bool>(), variant);
    }

    [TestCase("llama-default")]
    [TestCase("llama-head-dim-biases-gelu")]
    [TestCase("llama-gelu-tied")]
    [TestCase("qwen2-sliding-window")]
    public void The_architecture_names_written_out_are_the_models_own(string variant)
    {
        using var model = HuggingFaceCheckpoint.Load(Folder(variant));
        var names = model.state_dict().Keys.Where(n => !(model.Config.TieWordEmbeddings && n == "lm_head.weight"));
        Assert.That(HuggingFaceCheckpoint.ArchitectureNames(model.Config), Is.EquivalentTo(names));
    }
}
