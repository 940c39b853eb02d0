using System.Text;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Coin.Nn.Safetensors;

/// <summary>Writes tensors in the safetensors format, atomically (temporary file, then rename).</summary>
public static class SafetensorsWriter
{
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var ordered = tensors.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = new JsonObject(metadata.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)JsonValue.Create(m.Value))));
        long offset = 0;
        foreach (var (name, tensor) in ordered)
        {
            long bytes = tensor.numel() * tensor.ElementSize;
            header[name] = new JsonObject
            {
                ["dtype"] = SafetensorsDType.NameOf(tensor.dtype),
                ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + bytes)),
            };
            offset += bytes;
        }
        // The format pads the header with spaces so that the data starts 8-byte aligned.
        string json = header.ToJsonString();
        json += new string(' ', (8 - Encoding.UTF8.GetByteCount(json) % 8) % 8);
        byte[] headerBytes = Encoding.UTF8.GetBytes(json);

        string temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            stream.Write(BitConverter.GetBytes((long)headerBytes.Length));
            stream.Write(headerBytes);
            foreach (var (_, tensor) in ordered)
            {
                using var flat = tensor.detach().cpu().contiguous().view(-1);
                long chunk = Math.Max(1, (1L << 30) / Math.Max(1, flat.ElementSize));
                for (long start = 0; start < flat.numel(); start += chunk)
                {
                    using var part = flat.narrow(0, start, Math.Min(chunk, flat.numel() - start));
                    stream.Write(part.bytes);
                }
            }
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
