using System.Text;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Coin.Nn.Safetensors;

/// <summary>One tensor to be written: its name, type and shape (the header needs no values).</summary>
public sealed record TensorSpec(string Name, ScalarType DType, long[] Shape)
{
    public long Elements => Shape.Aggregate(1L, (a, b) => a * b);
    public long Bytes => Elements * SafetensorsDType.SizeOf(DType);
}

/// <summary>Writes a safetensors file whose tensors are produced piece by piece, so a file of many gigabytes is
/// written holding one piece at a time (a model writer that never has the model in memory). Atomic like
/// <see cref="SafetensorsWriter"/>: a temporary file, fsynced, then renamed.</summary>
public static class SafetensorsStreamWriter
{
    /// <param name="produce">Elements [first, first + count) of a tensor's flattened values, in its type; the writer
    /// disposes each piece after writing it.</param>
    /// <param name="pieceElements">Elements asked for at once.</param>
    /// <param name="written">Called with the bytes written so far after each piece (progress).</param>
    public static void Save(string path, IReadOnlyList<TensorSpec> tensors, Func<TensorSpec, long, long, Tensor> produce,
        IReadOnlyDictionary<string, string>? metadata = null, long pieceElements = 1L << 24, Action<long>? written = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = new JsonObject(metadata.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)JsonValue.Create(m.Value))));
        long offset = 0;
        foreach (var spec in tensors)
        {
            header[spec.Name] = new JsonObject
            {
                ["dtype"] = SafetensorsDType.NameOf(spec.DType),
                ["shape"] = new JsonArray(spec.Shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + spec.Bytes)),
            };
            offset += spec.Bytes;
        }
        string json = header.ToJsonString();
        json += new string(' ', (8 - Encoding.UTF8.GetByteCount(json) % 8) % 8);
        byte[] headerBytes = Encoding.UTF8.GetBytes(json);

        string temporary = path + ".tmp";
        long total = 0;
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            stream.Write(BitConverter.GetBytes((long)headerBytes.Length));
            stream.Write(headerBytes);
            foreach (var spec in tensors)
                for (long first = 0; first < spec.Elements; first += pieceElements)
                {
                    long count = Math.Min(pieceElements, spec.Elements - first);
                    using var scope = NewDisposeScope();
                    var piece = produce(spec, first, count);
                    if (piece.dtype != spec.DType || piece.numel() != count)
                        throw new InvalidOperationException($"{spec.Name}: produced {piece.numel()} {piece.dtype} values for {count} {spec.DType}");
                    stream.Write(piece.contiguous().cpu().bytes);
                    total += count * piece.ElementSize;
                    written?.Invoke(total);
                }
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
