using System.Text.Json;
using Coin.Abstractions.Plugins;
using Coin.Nn.Safetensors;
using static TorchSharp.torch;

namespace Coin.Nn.Pickle;

/// <summary>The weights of a folder saved as PyTorch pickles: <c>pytorch_model.bin</c>, or shards listed by
/// <c>pytorch_model.bin.index.json</c> (<c>{"weight_map": {name: file}}</c>), or one named file such as LLaVA's
/// <c>mm_projector.bin</c>. The tensors are read whole when opened (a pickle has no index to read one from).</summary>
public sealed class PickleCheckpoint : IWeightSource
{
    private readonly Dictionary<string, Tensor> tensors;

    private PickleCheckpoint(string source, Dictionary<string, Tensor> tensors)
    {
        Source = source;
        this.tensors = tensors;
    }

    public string Source { get; }
    public IEnumerable<string> Names => tensors.Keys;
    public bool Contains(string name) => tensors.ContainsKey(name);
    public long[] ShapeOf(string name) => tensors[name].shape;

    public Tensor Load(string name, ScalarType? dtype = null)
        => dtype is { } t && t != tensors[name].dtype ? tensors[name].to_type(t) : tensors[name].alias();

    /// <summary>One pickle file's state dict.</summary>
    public static PickleCheckpoint OpenFile(string path) => new(path, Keep(TorchPickleFile.Read(path)));

    public static PickleCheckpoint Open(string folder)
    {
        string single = Path.Combine(folder, "pytorch_model.bin");
        if (File.Exists(single)) return OpenFile(single);
        string index = Path.Combine(folder, "pytorch_model.bin.index.json");
        var all = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(Files.InputFile.ReadJsonText(index, Files.InputFile.Limits.Config, "weights index"));
            if (!document.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new CoinUserException($"{index}: expected an object 'weight_map' mapping tensor names to shard files");
            var shards = new Dictionary<string, Dictionary<string, Tensor>>();
            foreach (var entry in map.EnumerateObject())
            {
                string shardName = entry.Value.GetString() ?? "";
                if (shardName.Contains('/') || shardName.Contains('\\') || shardName.Contains(".."))
                    throw new CoinUserException($"{index}: weight_map.{entry.Name} names '{shardName}', which is not a file in the same folder");
                if (!shards.TryGetValue(shardName, out var shard)) shards[shardName] = shard = Keep(TorchPickleFile.Read(Path.Combine(folder, shardName)));
                all[entry.Name] = shard.TryGetValue(entry.Name, out var tensor) ? tensor
                    : throw new CoinUserException($"{index}: weight_map says '{entry.Name}' is in {shardName}, which has no such tensor");
            }
            foreach (var unused in shards.Values.SelectMany(s => s).Where(kv => !all.ContainsKey(kv.Key))) unused.Value.Dispose();
        }
        catch (JsonException e)
        {
            foreach (var t in all.Values) t.Dispose();
            throw new CoinUserException($"{index}: malformed JSON ({e.Message})");
        }
        return new PickleCheckpoint(index, all);
    }

    /// <summary>Held by the checkpoint until it is disposed, whatever scope opened it.</summary>
    private static Dictionary<string, Tensor> Keep(Dictionary<string, Tensor> tensors)
    {
        foreach (var tensor in tensors.Values) tensor.DetachFromDisposeScope();
        return tensors;
    }

    public void Dispose()
    {
        foreach (var tensor in tensors.Values) tensor.Dispose();
        tensors.Clear();
    }
}
