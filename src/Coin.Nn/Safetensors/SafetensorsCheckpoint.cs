using System.Text.Json;
using Coin.Abstractions.Plugins;
using static TorchSharp.torch;

namespace Coin.Nn.Safetensors;

/// <summary>The weights of a Hugging Face model folder: <c>model.safetensors</c>, or shards listed by
/// <c>model.safetensors.index.json</c> (<c>{"weight_map": {name: file}}</c>).</summary>
public sealed class SafetensorsCheckpoint : IWeightSource
{
    private readonly Dictionary<string, SafetensorsFile> files;
    private readonly Dictionary<string, SafetensorsFile> byTensor;

    private SafetensorsCheckpoint(string source, Dictionary<string, SafetensorsFile> files, Dictionary<string, SafetensorsFile> byTensor)
    {
        Source = source;
        this.files = files;
        this.byTensor = byTensor;
    }

    public string Source { get; }
    public IEnumerable<string> Names => byTensor.Keys;

    public TensorEntry Entry(string name) => byTensor[name].Tensors[name];

    public long[] ShapeOf(string name) => Entry(name).Shape;

    public static SafetensorsCheckpoint Open(string folder, string prefix = "model")
    {
        string single = Path.Combine(folder, $"{prefix}.safetensors");
        string index = Path.Combine(folder, $"{prefix}.safetensors.index.json");
        if (File.Exists(single))
        {
            var file = SafetensorsFile.Open(single);
            return new SafetensorsCheckpoint(single, new() { [single] = file }, file.Tensors.Keys.ToDictionary(k => k, _ => file));
        }
        if (!File.Exists(index))
            throw new CoinUserException($"{folder}: neither {prefix}.safetensors nor {prefix}.safetensors.index.json was found");
        return OpenSharded(folder, index);
    }

    private static SafetensorsCheckpoint OpenSharded(string folder, string index)
    {
        var files = new Dictionary<string, SafetensorsFile>();
        var byTensor = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(Files.InputFile.ReadJsonText(index, Files.InputFile.Limits.Config, "weights index"));
            if (!document.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new CoinUserException($"{index}: expected an object 'weight_map' mapping tensor names to shard files");
            foreach (var entry in map.EnumerateObject())
            {
                string shardName = entry.Value.GetString() ?? "";
                if (shardName.Contains('/') || shardName.Contains('\\') || shardName.Contains(".."))
                    throw new CoinUserException($"{index}: weight_map.{entry.Name} names '{shardName}', which is not a file in the same folder");
                string shard = Path.Combine(folder, shardName);
                if (!files.TryGetValue(shard, out var file)) files[shard] = file = SafetensorsFile.Open(shard);
                if (!file.Tensors.ContainsKey(entry.Name))
                    throw new CoinUserException($"{index}: weight_map says '{entry.Name}' is in {shardName}, which has no such tensor");
                byTensor[entry.Name] = file;
            }
        }
        catch (JsonException e)
        {
            foreach (var file in files.Values) file.Dispose();
            throw new CoinUserException($"{index}: malformed JSON ({e.Message})");
        }
        catch
        {
            foreach (var file in files.Values) file.Dispose();
            throw;
        }
        return new SafetensorsCheckpoint(index, files, byTensor);
    }

    public bool Contains(string name) => byTensor.ContainsKey(name);

    public Tensor Load(string name, ScalarType? dtype = null) => byTensor[name].Load(name, dtype);

    public void Dispose()
    {
        foreach (var file in files.Values) file.Dispose();
    }
}
