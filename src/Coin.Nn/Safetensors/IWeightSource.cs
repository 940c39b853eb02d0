using static TorchSharp.torch;

namespace Coin.Nn.Safetensors;

/// <summary>Named tensors a module's weights are loaded from: a safetensors checkpoint (one file or shards), or the
/// state dict of a PyTorch pickle checkpoint.</summary>
public interface IWeightSource : IDisposable
{
    /// <summary>The file (or index) the names come from, for messages.</summary>
    string Source { get; }

    IEnumerable<string> Names { get; }

    bool Contains(string name);

    long[] ShapeOf(string name);

    /// <summary>The tensor, converted to <paramref name="dtype"/> when given, in the caller's dispose scope.</summary>
    Tensor Load(string name, ScalarType? dtype = null);

    /// <summary>The weights of a Hugging Face model folder: <c>model.safetensors</c> or its sharded index, else
    /// <c>pytorch_model.bin</c> or its sharded index (safetensors first, as transformers prefers them).</summary>
    static IWeightSource OpenFolder(string folder)
    {
        if (File.Exists(Path.Combine(folder, "model.safetensors")) || File.Exists(Path.Combine(folder, "model.safetensors.index.json")))
            return SafetensorsCheckpoint.Open(folder);
        if (File.Exists(Path.Combine(folder, "pytorch_model.bin")) || File.Exists(Path.Combine(folder, "pytorch_model.bin.index.json")))
            return Pickle.PickleCheckpoint.Open(folder);
        throw new Abstractions.Plugins.CoinUserException(
            $"{folder}: no weights: none of model.safetensors, model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json");
    }
}
