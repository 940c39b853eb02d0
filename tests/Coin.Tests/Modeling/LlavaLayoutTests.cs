using System.Text.Json.Nodes;
using Coin.Abstractions.Plugins;
using Coin.Plugins.Backbones.Llama;
using Coin.Plugins.Connectors;
using Coin.Tests.Support;
using static TorchSharp.torch;

namespace Coin.Tests.Modeling;

/// <summary>A model folder in the original LLaVA layout (tests/data/llava/make_fixture.py, written by PyTorch): the
/// language model loads from it with the reference logits, the projector loads from it or from mm_projector.bin with
/// the reference outputs, and a LLaVA variant that is not LLaVA-1.5 is refused.</summary>
public class LlavaLayoutTests
{
    private static string Data(params string[] parts) => Path.Combine([TestPaths.Root, "tests", "data", "llava", .. parts]);

    private static JsonNode Expected => JsonNode.Parse(File.ReadAllText(Data("expected.json")))!;

    private static Tensor Matrix(JsonNode rows) => tensor(rows.AsArray().SelectMany(r => r!.AsArray().Select(v => (float)(double)v!)).ToArray())
        .reshape(rows.AsArray().Count, -1);

    [Test]
    public void The_language_model_of_a_LLaVA_folder_gives_the_reference_logits()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var model = HuggingFaceCheckpoint.Load(Data("llava-v1.5-tiny"));
        model.eval();
        long[] ids = Expected["input_ids"]!.AsArray().Select(v => (long)v!).ToArray();
        var logits = model.Forward(model.Embed(tensor(ids, [1, ids.Length])), ones(1, ids.Length, dtype: ScalarType.Int64), null)[0];
        var reference = Matrix(Expected["logits"]!);
        Assert.That((logits - reference).abs().max().item<float>() / reference.abs().max().item<float>(), Is.LessThanOrEqualTo(1e-5));
    }

    [TestCase("llava-v1.5-tiny")]
    [TestCase("mm_projector.bin")]
    public void The_projector_loads_from_the_folder_or_its_first_stage_file(string source)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var features = Matrix(Expected["features"]!);
        using var connector = new Mlp2xGeluConnector(12, 32);
        LlavaProjector.LoadInto(connector, Data(source), encoderWidth: 12);
        var reference = Matrix(Expected["projected"]!);
        Assert.That((connector.Project(features) - reference).abs().max().item<float>(), Is.LessThan(1e-5f));
    }

    [TestCase("image_aspect_ratio", "\"anyres\"", "image_aspect_ratio 'anyres' (LLaVA-NeXT's grids) in LLaVA's original layout is not implemented")]
    [TestCase("mm_projector_type", "\"linear\"", "mm_projector_type is 'linear'; this connector is mlp2x_gelu")]
    [TestCase("mm_hidden_size", "1024", "mm_hidden_size is 1024, the encoder gives 12-wide features")]
    [TestCase("mm_use_im_start_end", "true", "mm_use_im_start_end is true")]
    public void A_LLaVA_variant_that_is_not_LLaVA_1_5_is_refused(string key, string value, string message)
    {
        string folder = TestPaths.NewTemporaryDirectory("llava-variant");
        TestPaths.CopyDirectory(Data("llava-v1.5-tiny"), folder);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!.AsObject();
        config[key] = JsonNode.Parse(value);
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        using var connector = new Mlp2xGeluConnector(12, 32);
        var error = Assert.Throws<CoinUserException>(() => LlavaProjector.LoadInto(connector, folder, encoderWidth: 12))!;
        Assert.That(error.Message, Does.Contain(message));
    }

    private static JsonNode ExpectedHf => JsonNode.Parse(File.ReadAllText(Data("expected-hf.json")))!;

    private static string WithCurrentNames() => LlavaFolders.WithCurrentNames(Data("llava-1.5-hf-tiny"));

    [Test]
    public void A_llava_hf_folder_gives_the_language_models_reference_logits_in_both_name_layouts()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long[] ids = ExpectedHf["input_ids"]!.AsArray().Select(v => (long)v!).ToArray();
        var reference = Matrix(ExpectedHf["logits"]!);
        foreach (string folder in new[] { Data("llava-1.5-hf-tiny"), WithCurrentNames() })
        {
            using var model = HuggingFaceCheckpoint.Load(folder);
            model.eval();
            Assert.That(model.Config.RopeTheta, Is.EqualTo(10000.0), "LlamaConfig's default for what text_config leaves out");
            var logits = model.Forward(model.Embed(tensor(ids, [1, ids.Length])), ones(1, ids.Length, dtype: ScalarType.Int64), null)[0];
            Assert.That((logits - reference).abs().max().item<float>() / reference.abs().max().item<float>(), Is.LessThanOrEqualTo(1e-5), folder);
        }
    }

    [Test]
    public void A_llava_hf_folder_gives_the_projector_and_the_vision_tower_too()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (string folder in new[] { Data("llava-1.5-hf-tiny"), WithCurrentNames() })
        {
            using var connector = new Mlp2xGeluConnector(12, 32);
            LlavaProjector.LoadInto(connector, folder, encoderWidth: 12);
            var reference = Matrix(ExpectedHf["projected"]!);
            Assert.That((connector.Project(Matrix(ExpectedHf["features"]!)) - reference).abs().max().item<float>(), Is.LessThan(1e-5f), folder);

            using var tower = Coin.Plugins.Encoders.Vision.ClipVisionEncoder.Load(folder);
            using var file = Coin.Nn.Safetensors.SafetensorsCheckpoint.Open(Data("llava-1.5-hf-tiny"));
            Assert.That(tower.state_dict()["vision_model.encoder.layers.1.mlp.fc2.weight"].eq(file.Load("vision_tower.vision_model.encoder.layers.1.mlp.fc2.weight")).all().item<bool>(), folder);
        }
    }

    [TestCase("qwen2")]
    [TestCase("mistral")]
    public void A_llava_hf_folder_with_a_qwen2_or_mistral_language_model_gives_its_reference_logits(string family)
    {
        // tests/data/llava/make_fixture.py: text_config written with only what differs from Qwen2Config's or
        // MistralConfig's defaults, the logits from the reference forward of ../hf-llama/make_goldens.py.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var expected = JsonNode.Parse(File.ReadAllText(Data($"expected-hf-{family}.json")))!;
        long[] ids = expected["input_ids"]!.AsArray().Select(v => (long)v!).ToArray();
        var reference = Matrix(expected["logits"]!);
        using var model = HuggingFaceCheckpoint.Load(Data($"llava-hf-{family}-tiny"));
        model.eval();
        Assert.That(model.Config.RmsNormEps, Is.EqualTo(1e-6), "the family's default for what text_config leaves out");
        Assert.That(model.Config.AttentionBias, Is.EqualTo(family == "qwen2"), "Qwen2 has biases on q, k and v; Mistral none");
        if (family == "mistral") Assert.That(model.Config.SlidingWindow, Is.EqualTo(4096), "MistralConfig's default window");
        var logits = model.Forward(model.Embed(tensor(ids, [1, ids.Length])), ones(1, ids.Length, dtype: ScalarType.Int64), null)[0];
        Assert.That((logits - reference).abs().max().item<float>() / reference.abs().max().item<float>(), Is.LessThanOrEqualTo(1e-5));
    }

    [Test]
    public void A_llava_hf_folder_with_another_language_model_is_refused()
    {
        string folder = TestPaths.NewTemporaryDirectory("llava-hf-gemma");
        TestPaths.CopyDirectory(Data("llava-1.5-hf-tiny"), folder);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!.AsObject();
        config["text_config"]!["model_type"] = "gemma";
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        var error = Assert.Throws<CoinUserException>(() => HuggingFaceCheckpoint.Load(folder))!;
        Assert.That(error.Message, Does.Contain("text_config.model_type 'gemma' inside llava is not implemented; llama, qwen2, mistral are"));
    }
}
