using System.Text.Json.Nodes;
using Coin.Abstractions.Plugins;
using Coin.Engine.ModelInit;
using Coin.Nn.Quantization;
using Coin.Nn.Safetensors;
using Coin.Plugins.Backbones.Llama;
using Coin.Plugins.Backbones.Text;
using Coin.Tests.Support;
using static TorchSharp.torch;

namespace Coin.Tests.Scale;

/// <summary><c>coin model init</c>: a random folder with exactly the tensor names and shapes of a llava-hf checkpoint
/// (the reference is tests/data/llava/llava-1.5-hf-tiny, written with transformers' names by make_fixture.py), which
/// Coin's loaders read in every frozen storage; the same config and seed give the same bytes; bad configs are refused
/// before anything is written.</summary>
public class ModelInitTests
{
    private static readonly string Fixture = Path.Combine(TestPaths.Root, "tests", "data", "llava", "llava-1.5-hf-tiny");

    /// <summary>The fixture's config with a vocabulary large enough for the byte-level tokenizer.</summary>
    internal static string TinyConfig(string directory)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixture, "config.json")))!.AsObject();
        config["text_config"]!["vocab_size"] = 320;
        // The fixture's 64 positions are shorter than a training row with its image features: runs would be refused.
        config["text_config"]!["max_position_embeddings"] = 512;
        config["image_token_index"] = 300;
        config["pad_token_id"] = 301;
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, "tiny-config.json");
        File.WriteAllText(path, config.ToJsonString());
        return path;
    }

    internal static string WriteTiny(string directory, int seed = 1)
    {
        string folder = Path.Combine(directory, "llava-tiny");
        ModelFolderWriter.Write(TinyConfig(directory), folder, seed, ScalarType.BFloat16, shardBytes: 40_000, _ => { });
        return folder;
    }

    [Test]
    public void The_folder_has_the_llava_hf_names_and_shapes_in_bfloat16_shards()
    {
        string folder = WriteTiny(TestPaths.NewTemporaryDirectory("model-init"));
        using var written = SafetensorsCheckpoint.Open(folder);
        using var reference = SafetensorsCheckpoint.Open(Fixture);
        Assert.That(written.Names.Order(), Is.EqualTo(reference.Names.Order()), "every tensor transformers writes, and no other");
        foreach (string name in reference.Names)
        {
            long[] expected = reference.ShapeOf(name).ToArray();
            if (name.EndsWith("embed_tokens.weight", StringComparison.Ordinal) || name.EndsWith("lm_head.weight", StringComparison.Ordinal)) expected[0] = 320;
            Assert.That(written.ShapeOf(name), Is.EqualTo(expected), name);
        }
        Assert.That(Directory.GetFiles(folder, "model-*-of-*.safetensors"), Has.Length.GreaterThan(1), "sharded at the requested size");
        Assert.That(File.Exists(Path.Combine(folder, "model.safetensors.index.json")));
        using var one = written.Load("language_model.model.layers.0.mlp.up_proj.weight");
        Assert.That(one.dtype, Is.EqualTo(ScalarType.BFloat16));
        Assert.That(one.to_type(ScalarType.Float32).std().item<float>(), Is.InRange(0.01f, 0.03f), "normal(0, 0.02)");
        using var norm = written.Load("language_model.model.norm.weight");
        Assert.That(norm.to_type(ScalarType.Float32).eq(1).all().item<bool>(), "norm weights 1");
    }

    [Test]
    public void The_same_config_and_seed_give_the_same_bytes_and_another_seed_other_weights()
    {
        string directory = TestPaths.NewTemporaryDirectory("model-init-seed");
        string a = WriteTiny(Path.Combine(directory, "a")), b = WriteTiny(Path.Combine(directory, "b")), c = WriteTiny(Path.Combine(directory, "c"), seed: 2);
        foreach (string file in Directory.GetFiles(a).Select(f => Path.GetFileName(f)))
            Assert.That(File.ReadAllBytes(Path.Combine(b, file)), Is.EqualTo(File.ReadAllBytes(Path.Combine(a, file))), file);
        using var first = SafetensorsCheckpoint.Open(a);
        using var other = SafetensorsCheckpoint.Open(c);
        const string name = "language_model.model.layers.1.self_attn.q_proj.weight";
        Assert.That(first.Load(name).eq(other.Load(name)).all().item<bool>(), Is.False);
    }

    [TestCase(null)]
    [TestCase(FrozenWeights.BFloat16)]
    [TestCase(FrozenWeights.Int8)]
    [TestCase(FrozenWeights.Nf4)]
    public void Coin_loads_the_folder_in_every_frozen_storage(FrozenWeights? storage)
    {
        using var scope = NewDisposeScope();
        string folder = WriteTiny(TestPaths.NewTemporaryDirectory("model-init-load"));
        using var model = HuggingFaceCheckpoint.Load(folder, frozenWeights: storage);
        var q = (Coin.Nn.Layers.AutocastLinear)model.named_modules().Single(m => m.name == "model.layers.0.self_attn.q_proj").module;
        Assert.That(q.Storage, Is.EqualTo(storage ?? FrozenWeights.Float32));
        using var file = SafetensorsCheckpoint.Open(folder);
        var stored = file.Load("language_model.model.layers.0.self_attn.q_proj.weight").to_type(ScalarType.Float32);
        var held = q.WeightAs(ScalarType.Float32);
        if (storage is null or FrozenWeights.BFloat16) Assert.That(held.eq(stored).all().item<bool>(), "bfloat16 values kept exactly");
        else Assert.That((held - stored).abs().max().item<float>(), Is.LessThan(stored.abs().max().item<float>() * (storage == FrozenWeights.Int8 ? 0.01f : 0.2f)));
        using var tower = Coin.Plugins.Encoders.Vision.ClipVisionEncoder.Load(folder);
        var tokenizer = HuggingFaceTokenizer.Load(Path.Combine(folder, "tokenizer.json"), "</s>");
        Assert.That(tokenizer.Encode("<image>"), Is.EqualTo(new[] { 300 }), "LLaVA's image token at the config's id");
        Assert.That(tokenizer.Decode(tokenizer.Encode("a cat, naïve")), Is.EqualTo("a cat, naïve"), "bytes round-trip");
    }

    [Test]
    public void A_config_it_cannot_write_is_refused_before_anything_is_written()
    {
        string directory = TestPaths.NewTemporaryDirectory("model-init-refused");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixture, "config.json")))!.AsObject();
        string path = Path.Combine(directory, "config.json");
        File.WriteAllText(path, config.ToJsonString());
        string folder = Path.Combine(directory, "out");
        var small = Assert.Throws<CoinUserException>(() => ModelFolderWriter.Write(path, folder, 1, ScalarType.BFloat16, 1L << 30, _ => { }));
        Assert.That(small!.Message, Does.Contain("vocab_size 64 is too small"));
        config["text_config"]!["model_type"] = "mistral";
        File.WriteAllText(path, config.ToJsonString());
        var mistral = Assert.Throws<CoinUserException>(() => ModelFolderWriter.Write(path, folder, 1, ScalarType.BFloat16, 1L << 30, _ => { }));
        Assert.That(mistral!.Message, Does.Contain("text_config.model_type"));
        Assert.That(Directory.Exists(folder), Is.False, "nothing written");

        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "keep.txt"), "mine");
        var full = Assert.Throws<CoinUserException>(() => ModelFolderWriter.Write(TinyConfig(directory), folder, 1, ScalarType.BFloat16, 1L << 30, _ => { }));
        Assert.That(full!.Message, Does.Contain("not empty"));
        Assert.That(File.ReadAllText(Path.Combine(folder, "keep.txt")), Is.EqualTo("mine"));
    }
}
