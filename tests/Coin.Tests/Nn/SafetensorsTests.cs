using System.Text;
using Coin.Abstractions.Plugins;
using Coin.Nn.Safetensors;
using Coin.Tests.Support;
using static TorchSharp.torch;

namespace Coin.Tests.Nn;

public class SafetensorsTests
{
    private static string NewFile(string name) => Path.Combine(TestPaths.NewTemporaryDirectory("safetensors"), name);

    /// <summary>A file written by hand, byte for byte as the format specifies, so the reader is checked against
    /// the format rather than against our own writer.</summary>
    private static byte[] HandWritten(string header, byte[] data)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        return [.. BitConverter.GetBytes((long)json.Length), .. json, .. data];
    }

    private static bool Same(Tensor a, Tensor b) => a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    [Test]
    public void AHandWrittenFileIsReadWithItsValues()
    {
        string path = NewFile("hand.safetensors");
        byte[] data = [.. BitConverter.GetBytes(1.5f), .. BitConverter.GetBytes(-2f), .. BitConverter.GetBytes(3.25f), .. BitConverter.GetBytes(7L)];
        File.WriteAllBytes(path, HandWritten(
            """{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"n":{"dtype":"I64","shape":[1],"data_offsets":[12,20]}}""", data));
        using var file = SafetensorsFile.Open(path);
        Assert.That(file.Metadata["format"], Is.EqualTo("pt"));
        using var w = file.Load("w");
        using var n = file.Load("n");
        Assert.That(w.data<float>().ToArray(), Is.EqualTo(new[] { 1.5f, -2f, 3.25f }));
        Assert.That(n.item<long>(), Is.EqualTo(7L));
    }

    [Test]
    public void WrittenTensorsReadBackExactlyInEveryFloatType()
    {
        string path = NewFile("roundtrip.safetensors");
        manual_seed(5);
        using var f32 = randn(3, 4);
        using var f16 = randn(5).to_type(ScalarType.Float16);
        using var bf16 = randn(2, 2).to_type(ScalarType.BFloat16);
        SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { ["a.f32"] = f32, ["b.f16"] = f16, ["c.bf16"] = bf16 });
        using var file = SafetensorsFile.Open(path);
        using var a = file.Load("a.f32");
        using var b = file.Load("b.f16");
        using var c = file.Load("c.bf16");
        Assert.That(Same(a, f32) && Same(b, f16) && Same(c, bf16));
        Assert.That(b.dtype, Is.EqualTo(ScalarType.Float16));
        using var converted = file.Load("c.bf16", ScalarType.Float32);
        Assert.That(converted.dtype, Is.EqualTo(ScalarType.Float32));
        Assert.That(Same(converted, bf16.to_type(ScalarType.Float32)));
        Assert.That((8 + BitConverter.ToInt64(File.ReadAllBytes(path), 0)) % 8, Is.EqualTo(0), "data starts 8-byte aligned");
    }

    [Test]
    public void ATruncatedFileIsRejectedWithItsPathAndTheEntry()
    {
        string path = NewFile("truncated.safetensors");
        using var t = ones(100);
        SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { ["weight"] = t });
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^40]);
        var error = Assert.Throws<CoinUserException>(() => SafetensorsFile.Open(path));
        Assert.That(error!.Message, Does.StartWith($"{path}: malformed safetensors file: entry 'weight' has data_offsets [0, 400] outside the 360 data bytes"));
    }

    [TestCase("", "shorter than the 8-byte header length")]
    [TestCase("HDR", "header length")]
    [TestCase("{not json", "header is not valid JSON")]
    [TestCase("""{"w":{"dtype":"F99","shape":[1],"data_offsets":[0,4]}}""", "entry 'w' has dtype 'F99'")]
    [TestCase("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}""", "entry 'w' spans 4 bytes but F32 2 needs 8")]
    [TestCase("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"v":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}""", "overlap")]
    [TestCase("""{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", "not a list of non-negative integers")]
    public void MalformedHeadersAreRejectedClearly(string header, string expected)
    {
        string path = NewFile("bad.safetensors");
        if (header == "") File.WriteAllBytes(path, [1, 2]);
        else if (header == "HDR") File.WriteAllBytes(path, [.. BitConverter.GetBytes(1L << 40), .. new byte[16]]);
        else File.WriteAllBytes(path, HandWritten(header, new byte[8]));
        var error = Assert.Throws<CoinUserException>(() => SafetensorsFile.Open(path));
        Assert.That(error!.Message, Does.StartWith($"{path}: malformed safetensors file:").And.Contain(expected));
    }
}
