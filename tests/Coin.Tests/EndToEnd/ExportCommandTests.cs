using System.Text.Json.Nodes;
using Coin.Nn.Safetensors;
using Coin.Plugins.Backbones.Llama;
using Coin.Tests.Support;
using static TorchSharp.torch;

namespace Coin.Tests.EndToEnd;

/// <summary><c>coin export</c>: a run's LoRA as PEFT's files, the backbone with it folded in as a Hugging Face folder
/// (checked against W0 + (alpha/r)·B·A computed here from the exported tensors), the connector, and plain reasons for
/// what a plugin cannot export.</summary>
[Parallelizable(ParallelScope.Self)]
public class ExportCommandTests
{
    /// <summary>A byte-level tokenizer.json with one token per byte (GPT-2's byte-to-character table), an end token
    /// and an NFC normaliser.</summary>
    private static void WriteByteTokenizer(string folder)
    {
        var bytes = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range('¡', '¬' - '¡' + 1)).Concat(Enumerable.Range('®', 'ÿ' - '®' + 1)).ToList();
        var chars = bytes.ToList();
        for (int b = 0, extra = 0; b < 256; b++)
            if (!bytes.Contains(b)) { bytes.Add(b); chars.Add(256 + extra++); }
        var vocab = new JsonObject();
        foreach (var (b, c) in bytes.Zip(chars).OrderBy(p => p.First)) vocab[((char)c).ToString()] = b;
        var json = new JsonObject
        {
            ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocab, ["merges"] = new JsonArray() },
            ["added_tokens"] = new JsonArray(new JsonObject { ["id"] = 256, ["content"] = "</s>", ["special"] = true }),
            // Qwen2's normaliser: the host process must be able to normalise (it refuses the file otherwise).
            ["normalizer"] = new JsonObject { ["type"] = "NFC" },
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = @"\s+|\S+" } },
                    new JsonObject { ["type"] = "ByteLevel", ["use_regex"] = false }),
            },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), json.ToJsonString());
    }

    private static string RunWith(string directory, JsonObject backbone, string adapter)
    {
        string experiment = CoinProcess.WriteQuickExperiment(directory, json =>
        {
            json["model"] = new JsonObject
            {
                ["backbone"] = backbone,
                ["adapter"] = JsonNode.Parse($$"""{ "type": "{{adapter}}", "options": { "rank": 4, "alpha": 8 } }"""),
            };
        });
        var result = CoinProcess.Run(directory, "run", experiment, "--set", "evaluation.maxNewTokens=2");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        return Directory.GetDirectories(Path.Combine(directory, "runs")).Single();
    }

    /// <summary>A small random LLaMA in Hugging Face's layout, with a byte-level tokenizer.</summary>
    private static string BaseModel(string directory)
    {
        string model = Path.Combine(directory, "base-model");
        Directory.CreateDirectory(model);
        WriteByteTokenizer(model);
        manual_seed(4);
        using (var base_ = new LlamaForCausalLM(new LlamaConfig(VocabSize: 257, HiddenSize: 32, IntermediateSize: 48, NumHiddenLayers: 2, NumAttentionHeads: 4, NumKeyValueHeads: 2)))
            HuggingFaceCheckpoint.Save(base_, model);
        return model;
    }

    [Test]
    public void An_olora_run_exports_every_tasks_update_as_one_peft_lora_and_merged()
    {
        string directory = TestPaths.NewTemporaryDirectory("export-olora");
        string model = BaseModel(directory);
        string run = RunWith(directory, new JsonObject { ["type"] = "llama", ["options"] = new JsonObject { ["path"] = model } }, "olora");
        string output = Path.Combine(directory, "exported");
        var result = CoinProcess.Run(directory, "export", run, "--stage", "after-02-position", "--out", output);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());

        // Two tasks of rank 4 and alpha 8: one LoRA of rank 8 and alpha 16, so PEFT's scale alpha/r stays 2.
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "peft", "adapter_config.json")))!;
        Assert.That(((int)config["r"]!, (double)config["lora_alpha"]!), Is.EqualTo((8, 16.0)));
        using var scope = NewDisposeScope();
        using var peft = SafetensorsCheckpoint.Open(Path.Combine(output, "peft"), "adapter_model");
        using var original = SafetensorsCheckpoint.Open(model);
        using var merged = SafetensorsCheckpoint.Open(Path.Combine(output, "merged"));
        foreach (string layer in new[] { "model.layers.0.self_attn.q_proj", "model.layers.1.mlp.down_proj" })
        {
            var a = peft.Load($"base_model.model.{layer}.lora_A.weight");
            var b = peft.Load($"base_model.model.{layer}.lora_B.weight");
            Assert.That(a.shape, Is.EqualTo(new long[] { 8, a.shape[1] }));
            // Each task's B trained: its columns of the stacked B are not zero.
            Assert.That(b.narrow(1, 0, 4).abs().max().item<float>(), Is.GreaterThan(0), $"{layer}: the first task's update");
            Assert.That(b.narrow(1, 4, 4).abs().max().item<float>(), Is.GreaterThan(0), $"{layer}: the second task's update");
            var expected = original.Load(layer + ".weight") + 2.0 * (b.narrow(1, 0, 4).matmul(a.narrow(0, 0, 4)) + b.narrow(1, 4, 4).matmul(a.narrow(0, 4, 4)));
            Assert.That((merged.Load(layer + ".weight") - expected).abs().max().item<float>(), Is.LessThan(1e-6f), layer);
        }
    }

    [Test]
    public void A_lora_run_exports_a_peft_adapter_and_a_merged_folder_that_agree()
    {
        string directory = TestPaths.NewTemporaryDirectory("export");
        string model = BaseModel(directory);
        // Fields Coin's model does not use but transformers' generate and save_pretrained do: carried into the export.
        var sourceConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "config.json")))!.AsObject();
        sourceConfig["bos_token_id"] = 254;
        sourceConfig["eos_token_id"] = 255;
        sourceConfig["initializer_range"] = 0.01;
        File.WriteAllText(Path.Combine(model, "config.json"), sourceConfig.ToJsonString());
        string run = RunWith(directory, new JsonObject { ["type"] = "llama", ["options"] = new JsonObject { ["path"] = model } }, "lora");

        string output = Path.Combine(directory, "exported");
        var result = CoinProcess.Run(directory, "export", run, "--stage", "after-02-position", "--out", output);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "peft", "adapter_config.json")))!;
        Assert.That((string)config["peft_type"]!, Is.EqualTo("LORA"));
        Assert.That((int)config["r"]!, Is.EqualTo(4));
        Assert.That((double)config["lora_alpha"]!, Is.EqualTo(8));
        Assert.That(config["target_modules"]!.AsArray().Select(t => (string)t!),
            Is.EqualTo(new[] { "down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj" }));
        Assert.That((string)config["base_model_name_or_path"]!, Is.EqualTo(model));

        using var scope = NewDisposeScope();
        using var peft = SafetensorsCheckpoint.Open(Path.Combine(output, "peft"), "adapter_model");
        Assert.That(peft.Names.Count(), Is.EqualTo(2 * 7 * 2), "A and B for 7 linears in each of 2 layers");
        using var original = SafetensorsCheckpoint.Open(model);
        using var merged = SafetensorsCheckpoint.Open(Path.Combine(output, "merged"));
        Assert.That(merged.Names, Is.EquivalentTo(original.Names), "the architecture's tensors, no lora_A/lora_B");
        foreach (string layer in new[] { "model.layers.0.self_attn.q_proj", "model.layers.1.mlp.down_proj", "model.layers.1.self_attn.v_proj" })
        {
            var a = peft.Load($"base_model.model.{layer}.lora_A.weight");
            var b = peft.Load($"base_model.model.{layer}.lora_B.weight");
            Assert.That(a.shape[0], Is.EqualTo(4));
            Assert.That(b.abs().max().item<float>(), Is.GreaterThan(0), $"{layer}: B trained away from zero");
            var expected = original.Load(layer + ".weight") + (8.0 / 4) * b.matmul(a);
            Assert.That((merged.Load(layer + ".weight") - expected).abs().max().item<float>(), Is.LessThan(1e-6f), layer);
        }
        // The merged folder is a model Coin (and transformers) loads: config, weights, the tokenizer's files.
        Assert.That(File.Exists(Path.Combine(output, "merged", "tokenizer.json")));
        using var reloaded = HuggingFaceCheckpoint.Load(Path.Combine(output, "merged"));
        var mergedConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "merged", "config.json")))!;
        Assert.That(((int)mergedConfig["bos_token_id"]!, (int)mergedConfig["eos_token_id"]!, (double)mergedConfig["initializer_range"]!), Is.EqualTo((254, 255, 0.01)));
        // The source has no generation_config.json: one is written as GenerationConfig.from_model_config would.
        var generation = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "merged", "generation_config.json")))!;
        Assert.That(((bool)generation["_from_model_config"]!, (int)generation["bos_token_id"]!, (int)generation["eos_token_id"]!), Is.EqualTo((true, 254, 255)));
        Assert.That(File.Exists(Path.Combine(output, "connector.safetensors")), "LoRA trains the projector in full: exported beside the adapter");
    }

    [Test]
    public void What_cannot_be_exported_is_named_with_its_reason()
    {
        string directory = TestPaths.NewTemporaryDirectory("export-refused");
        string run = RunWith(directory, new JsonObject { ["type"] = "llama" }, "moelora");
        string output = Path.Combine(directory, "exported");
        var result = CoinProcess.Run(directory, "export", run, "--stage", "after-01-color", "--out", output);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Output, Does.Contain("peft: not written").And.Contain("MoELoRA (a router per adapted linear) has no PEFT equivalent"));
        Assert.That(result.Output, Does.Contain("merged: not written").And.Contain("model.backbone 'llama':").And.Contain("has no tokenizer.json"));
        Assert.That(Directory.Exists(Path.Combine(output, "peft")) || Directory.Exists(Path.Combine(output, "merged")), Is.False);
        Assert.That(File.Exists(Path.Combine(output, "connector.safetensors")));

        var missing = CoinProcess.Run(directory, "export", run, "--stage", "after-09-nothing", "--out", output);
        Assert.That(missing.ExitCode, Is.EqualTo(2));
        Assert.That(missing.Error, Does.Contain("the run kept no weights for stage 'after-09-nothing'"));
    }
}
