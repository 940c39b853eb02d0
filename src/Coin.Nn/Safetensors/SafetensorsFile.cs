using System.Text.Json;
using Coin.Abstractions.Plugins;
using static TorchSharp.torch;

namespace Coin.Nn.Safetensors;

/// <summary>One tensor's entry in a safetensors header.</summary>
public sealed record TensorEntry(string Name, ScalarType DType, long[] Shape, long Begin, long End);

/// <summary>Reads a <c>.safetensors</c> file: an 8-byte little-endian header length, a JSON header
/// <c>{name: {dtype, shape, data_offsets}}</c> (plus <c>__metadata__</c>), then raw little-endian bytes. Nothing in
/// the file is executed; every header field is checked against the file size before any tensor is read.</summary>
public sealed class SafetensorsFile : IDisposable
{
    private const long MaxHeaderBytes = 100L << 20;
    private readonly FileStream stream;
    private readonly long dataStart;

    private SafetensorsFile(string path, FileStream stream, long dataStart, Dictionary<string, TensorEntry> tensors, Dictionary<string, string> metadata)
    {
        Path = path;
        this.stream = stream;
        this.dataStart = dataStart;
        Tensors = tensors;
        Metadata = metadata;
    }

    public string Path { get; }
    public IReadOnlyDictionary<string, TensorEntry> Tensors { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new CoinUserException($"{path}: file not found");
        var stream = Files.InputFile.OpenRead(path, Files.InputFile.Limits.Weights, "safetensors file");
        try
        {
            var (dataStart, tensors, metadata) = ReadHeader(stream, path);
            return new SafetensorsFile(path, stream, dataStart, tensors, metadata);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads one tensor into new CPU memory, converted to <paramref name="dtype"/> when given.</summary>
    public Tensor Load(string name, ScalarType? dtype = null)
    {
        if (!Tensors.TryGetValue(name, out var entry)) throw new CoinUserException($"{Path}: no tensor named '{name}'");
        var tensor = empty(entry.Shape, dtype: entry.DType, device: CPU);
        // Disposed here: a view left to the finaliser keeps the whole storage alive after the caller disposes the
        // tensor (a quantised 7B base peaked 11 GiB above its final size while loading until this was found).
        using var flat = tensor.view(-1);
        // Spans over native memory are limited to 2 GB: read large tensors in chunks.
        long elementSize = (entry.End - entry.Begin) / Math.Max(1, tensor.numel());
        long chunkElements = Math.Max(1, (1L << 30) / Math.Max(1, elementSize));
        stream.Position = dataStart + entry.Begin;
        for (long start = 0; start < tensor.numel(); start += chunkElements)
        {
            using var chunk = flat.narrow(0, start, Math.Min(chunkElements, tensor.numel() - start));
            stream.ReadExactly(chunk.bytes);
        }
        if (dtype is { } target && target != entry.DType)
        {
            var converted = tensor.to_type(target);
            tensor.Dispose();
            return converted;
        }
        return tensor;
    }

    private static (long, Dictionary<string, TensorEntry>, Dictionary<string, string>) ReadHeader(FileStream stream, string path)
    {
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.Read(lengthBytes) != 8) throw Malformed(path, "shorter than the 8-byte header length");
        long headerLength = BitConverter.ToInt64(lengthBytes);
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || headerLength > stream.Length - 8)
            throw Malformed(path, $"header length {headerLength} does not fit a file of {stream.Length} bytes");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        long dataStart = 8 + headerLength;
        long dataLength = stream.Length - dataStart;

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerBytes);
        }
        catch (JsonException e)
        {
            throw Malformed(path, $"header is not valid JSON ({e.Message})");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw Malformed(path, "header is not a JSON object");
            var tensors = new Dictionary<string, TensorEntry>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind != JsonValueKind.Object) throw Malformed(path, "__metadata__ is not an object");
                    foreach (var item in property.Value.EnumerateObject())
                        metadata[item.Name] = item.Value.ValueKind == JsonValueKind.String ? item.Value.GetString()! : throw Malformed(path, $"__metadata__.{item.Name} is not a string");
                    continue;
                }
                tensors[property.Name] = ParseEntry(property, path, dataLength);
            }
            CheckNoOverlap(tensors.Values, path);
            return (dataStart, tensors, metadata);
        }
    }

    private static TensorEntry ParseEntry(JsonProperty property, string path, long dataLength)
    {
        string name = property.Name;
        var value = property.Value;
        if (value.ValueKind != JsonValueKind.Object) throw Malformed(path, $"entry '{name}' is not an object");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Malformed(path, $"entry '{name}' has no dtype");
        if (!SafetensorsDType.TryParse(dtypeElement.GetString()!, out var dtype, out int size))
            throw Malformed(path, $"entry '{name}' has dtype '{dtypeElement.GetString()}'; supported: {string.Join(", ", SafetensorsDType.Names)}");
        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Malformed(path, $"entry '{name}' has no shape");
        var shape = shapeElement.EnumerateArray().Select(d => d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out long n) && n >= 0
            ? n : throw Malformed(path, $"entry '{name}' has a shape that is not a list of non-negative integers")).ToArray();
        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
            || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end))
            throw Malformed(path, $"entry '{name}' has no data_offsets [begin, end]");
        long expected;
        try
        {
            expected = checked(shape.Aggregate(1L, (a, b) => checked(a * b)) * size);
        }
        catch (OverflowException)
        {
            throw Malformed(path, $"entry '{name}' has the shape [{string.Join(", ", shape)}], whose size overflows 64 bits");
        }
        if (begin < 0 || end < begin || end > dataLength)
            throw Malformed(path, $"entry '{name}' has data_offsets [{begin}, {end}] outside the {dataLength} data bytes (file truncated?)");
        if (end - begin != expected)
            throw Malformed(path, $"entry '{name}' spans {end - begin} bytes but {dtypeElement.GetString()} {string.Join('x', shape)} needs {expected}");
        return new TensorEntry(name, dtype, shape, begin, end);
    }

    private static void CheckNoOverlap(IEnumerable<TensorEntry> entries, string path)
    {
        TensorEntry? previous = null;
        foreach (var entry in entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin))
        {
            if (previous is not null && entry.Begin < previous.End)
                throw Malformed(path, $"entries '{previous.Name}' and '{entry.Name}' overlap");
            previous = entry;
        }
    }

    private static CoinUserException Malformed(string path, string reason) => new($"{path}: malformed safetensors file: {reason}");

    public void Dispose() => stream.Dispose();
}
