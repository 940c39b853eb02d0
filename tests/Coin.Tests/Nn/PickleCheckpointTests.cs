using System.Text.Json.Nodes;
using Coin.Abstractions.Plugins;
using Coin.Nn.Pickle;
using Coin.Nn.Safetensors;
using Coin.Plugins.Backbones.Llama;
using Coin.Tests.Support;
using static TorchSharp.torch;

namespace Coin.Tests.Nn;

/// <summary>PyTorch pickle checkpoints made by PyTorch itself (tests/data/pickle/make_fixtures.py): read exactly,
/// shared storages included, and anything that is not a state dict of tensors refused without running it.</summary>
public class PickleCheckpointTests
{
    private static string Data(string name) => Path.Combine(TestPaths.Root, "tests", "data", "pickle", name);

    [Test]
    public void A_state_dict_reads_as_PyTorch_saved_it_shared_storages_and_dtypes_included()
    {
        using var scope = NewDisposeScope();
        var tensors = TorchPickleFile.Read(Data("state.bin"));
        using var expected = SafetensorsCheckpoint.Open(Data(""), "expected");
        Assert.That(tensors.Keys, Is.EquivalentTo(new[] { "layer.weight", "layer.rows_from_2", "layer.transposed", "half.weight", "bf16.weight", "steps", "scale" }));
        Assert.That(tensors["half.weight"].dtype, Is.EqualTo(ScalarType.Float16));
        Assert.That(tensors["bf16.weight"].dtype, Is.EqualTo(ScalarType.BFloat16));
        Assert.That(tensors["steps"].dtype, Is.EqualTo(ScalarType.Int64));
        Assert.That(tensors["scale"].shape, Is.Empty, "a 0-d tensor stays 0-d");
        foreach (var (name, tensor) in tensors)
        {
            var reference = expected.Load(name, ScalarType.Float32);
            Assert.That(tensor.to_type(ScalarType.Float32).flatten().eq(reference.flatten()).all().item<bool>(), name);
        }
        // Views of one storage (a slice at an offset, a transpose) come out as the values PyTorch shows for them.
        Assert.That(tensors["layer.rows_from_2"].eq(tensors["layer.weight"].narrow(0, 2, 4)).all().item<bool>());
        Assert.That(tensors["layer.transposed"].eq(tensors["layer.weight"].t()).all().item<bool>());
    }

    [Test]
    public void LLaVAs_projector_file_reads_with_its_names()
    {
        using var scope = NewDisposeScope();
        using var projector = PickleCheckpoint.OpenFile(Data("mm_projector.bin"));
        Assert.That(projector.Names, Is.EquivalentTo(new[] { "model.mm_projector.0.weight", "model.mm_projector.0.bias", "model.mm_projector.2.weight", "model.mm_projector.2.bias" }));
        Assert.That(projector.ShapeOf("model.mm_projector.0.weight"), Is.EqualTo(new long[] { 16, 8 }));
    }

    [Test]
    public void A_model_folder_of_pytorch_model_bin_shards_gives_the_same_logits_as_its_safetensors()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var fromPickles = HuggingFaceCheckpoint.Load(Data("llama-bin"));
        using var fromSafetensors = HuggingFaceCheckpoint.Load(Path.Combine(TestPaths.Root, "tests", "data", "hf-llama", "llama-default"));
        fromPickles.eval();
        fromSafetensors.eval();
        var ids = tensor(new long[] { 3, 14, 15, 9, 26, 5 }, [1, 6]);
        var mask = ones(1, 6, dtype: ScalarType.Int64);
        Assert.That(fromPickles.Forward(fromPickles.Embed(ids), mask, null).eq(fromSafetensors.Forward(fromSafetensors.Embed(ids), mask, null)).all().item<bool>());
    }

    [Test]
    public void A_pickle_that_asks_for_os_system_is_refused_and_nothing_runs()
    {
        string marker = "/tmp/coin-pickle-was-executed";
        File.Delete(marker);
        var error = Assert.Throws<CoinUserException>(() => TorchPickleFile.Read(Data("not-tensors.bin")))!;
        Assert.That(error.Message, Does.StartWith(Data("not-tensors.bin") + ": ").And.Contain("posix.system").And.Contain("nothing of it was run"));
        Assert.That(File.Exists(marker), Is.False);
    }

    [Test]
    public void The_format_from_before_PyTorch_1_6_is_refused_by_name()
    {
        var error = Assert.Throws<CoinUserException>(() => TorchPickleFile.Read(Data("legacy.bin")))!;
        Assert.That(error.Message, Does.Contain("saved in PyTorch's format from before 1.6").And.Contain("convert it to safetensors"));
    }

    [Test]
    public void A_folder_without_weights_names_the_four_files_it_looked_for()
    {
        string folder = TestPaths.NewTemporaryDirectory("no-weights");
        File.Copy(Data(Path.Combine("llama-bin", "config.json")), Path.Combine(folder, "config.json"));
        var error = Assert.Throws<CoinUserException>(() => HuggingFaceCheckpoint.Load(folder))!;
        Assert.That(error.Message, Does.Contain("none of model.safetensors, model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json"));
    }

    [Test]
    public void A_damaged_shard_index_is_named()
    {
        string folder = TestPaths.NewTemporaryDirectory("bad-index");
        TestPaths.CopyDirectory(Data("llama-bin"), folder);
        string index = Path.Combine(folder, "pytorch_model.bin.index.json");
        var json = JsonNode.Parse(File.ReadAllText(index))!;
        json["weight_map"]!["model.norm.weight"] = "../elsewhere.bin";
        File.WriteAllText(index, json.ToJsonString());
        var error = Assert.Throws<CoinUserException>(() => HuggingFaceCheckpoint.Load(folder))!;
        Assert.That(error.Message, Does.Contain("weight_map.model.norm.weight names '../elsewhere.bin', which is not a file in the same folder"));
    }
}
