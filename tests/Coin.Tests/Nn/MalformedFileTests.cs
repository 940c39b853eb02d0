using System.Text;
using Coin.Abstractions.Plugins;
using Coin.Nn.Audio;
using Coin.Nn.Safetensors;
using Coin.Plugins.Backbones.Llama;
using Coin.Tests.Support;

namespace Coin.Tests.Nn;

/// <summary>Hostile files end in one message naming the file and the field, never in an unhandled exception.</summary>
public class MalformedFileTests
{
    private static byte[] Wav(ushort format, int rate, ushort channels = 1, ushort bits = 16)
    {
        var data = new byte[8];
        using var stream = new MemoryStream();
        using var w = new BinaryWriter(stream);
        w.Write(Encoding.ASCII.GetBytes("RIFF")); w.Write(36 + data.Length); w.Write(Encoding.ASCII.GetBytes("WAVE"));
        w.Write(Encoding.ASCII.GetBytes("fmt ")); w.Write(16); w.Write(format); w.Write(channels); w.Write(rate);
        w.Write(rate * channels * bits / 8); w.Write((ushort)(channels * bits / 8)); w.Write(bits);
        w.Write(Encoding.ASCII.GetBytes("data")); w.Write(data.Length); w.Write(data);
        return stream.ToArray();
    }

    [TestCase((ushort)0, 16000, "unsupported WAV encoding (format 0")]
    [TestCase((ushort)2, 16000, "unsupported WAV encoding (format 2")]
    [TestCase((ushort)1, 2_000_000_000, "sample rate 2000000000 Hz")]
    [TestCase((ushort)1, -5, "sample rate -5 Hz")]
    public void A_wav_with_an_unusable_header_is_named(ushort format, int rate, string expected)
    {
        string path = Path.Combine(TestPaths.NewTemporaryDirectory("wav"), "bad.wav");
        File.WriteAllBytes(path, Wav(format, rate));
        var error = Assert.Throws<CoinUserException>(() => WavFile.Read(path))!;
        Assert.That(error.Message, Does.StartWith(path).And.Contain(expected));
    }

    [Test]
    public void A_safetensors_shape_whose_size_overflows_is_named()
    {
        string path = Path.Combine(TestPaths.NewTemporaryDirectory("safetensors"), "overflow.safetensors");
        byte[] header = Encoding.UTF8.GetBytes("""{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}""");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((long)header.Length), .. header, 0, 0, 0, 0]);
        var error = Assert.Throws<CoinUserException>(() => SafetensorsFile.Open(path).Dispose())!;
        Assert.That(error.Message, Does.Contain(path).And.Contain("overflows 64 bits"));
    }

    [TestCase("\"num_attention_heads\": 0", "numAttentionHeads is 0")]
    [TestCase("\"num_key_value_heads\": 0", "numKeyValueHeads is 0")]
    [TestCase("\"vocab_size\": -3", "vocabSize is -3")]
    [TestCase("\"hidden_size\": \"wide\"", "'hidden_size' is \"wide\"; expected an integer")]
    public void A_config_with_impossible_sizes_is_named(string field, string expected)
    {
        var values = new Dictionary<string, string>
        {
            ["model_type"] = "\"model_type\": \"llama\"", ["vocab_size"] = "\"vocab_size\": 32", ["hidden_size"] = "\"hidden_size\": 16",
            ["intermediate_size"] = "\"intermediate_size\": 32", ["num_hidden_layers"] = "\"num_hidden_layers\": 1",
            ["num_attention_heads"] = "\"num_attention_heads\": 2", ["num_key_value_heads"] = "\"num_key_value_heads\": 2",
        };
        values[field.Split('"')[1]] = field;
        string path = Path.Combine(TestPaths.NewTemporaryDirectory("config"), "config.json");
        File.WriteAllText(path, "{" + string.Join(", ", values.Values) + "}");
        var error = Assert.Throws<CoinUserException>(() => HuggingFaceConfig.Read(path))!;
        Assert.That(error.Message, Does.StartWith(path).And.Contain(expected));
    }
}
