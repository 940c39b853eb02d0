using static TorchSharp.torch;

namespace Coin.Nn.Safetensors;

/// <summary>The dtype strings of the safetensors format and their torch types.</summary>
public static class SafetensorsDType
{
    private static readonly (string Name, ScalarType Type, int Size)[] Known =
    [
        ("F64", ScalarType.Float64, 8), ("F32", ScalarType.Float32, 4), ("F16", ScalarType.Float16, 2),
        ("BF16", ScalarType.BFloat16, 2), ("I64", ScalarType.Int64, 8), ("I32", ScalarType.Int32, 4),
        ("I16", ScalarType.Int16, 2), ("I8", ScalarType.Int8, 1), ("U8", ScalarType.Byte, 1), ("BOOL", ScalarType.Bool, 1),
    ];

    public static IEnumerable<string> Names => Known.Select(k => k.Name);

    public static bool TryParse(string name, out ScalarType type, out int size)
    {
        foreach (var known in Known)
            if (known.Name == name) { (type, size) = (known.Type, known.Size); return true; }
        (type, size) = (default, 0);
        return false;
    }

    public static int SizeOf(ScalarType type)
        => Known.FirstOrDefault(k => k.Type == type) is { Name: not null } known ? known.Size : throw new ArgumentException($"safetensors has no dtype for {type}");

    public static string NameOf(ScalarType type)
        => Known.FirstOrDefault(k => k.Type == type).Name ?? throw new ArgumentException($"safetensors has no dtype for {type}");
}
