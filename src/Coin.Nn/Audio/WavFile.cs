using Coin.Abstractions.Plugins;

namespace Coin.Nn.Audio;

/// <summary>Reads RIFF/WAVE files: PCM 16-bit, PCM 32-bit or IEEE float 32-bit, any channel count (mixed to mono).</summary>
public static class WavFile
{
    public static (float[] Samples, int SampleRate) Read(string path)
    {
        if (!File.Exists(path)) throw new CoinUserException($"{path}: audio file not found");
        byte[] bytes = Files.InputFile.ReadAllBytes(path, Files.InputFile.Limits.Audio, "WAV file");
        if (bytes.Length < 12 || Text(bytes, 0) != "RIFF" || Text(bytes, 8) != "WAVE")
            throw new CoinUserException($"{path}: not a RIFF/WAVE file");
        int format = 0, channels = 0, rate = 0, bits = 0;
        for (int at = 12; at + 8 <= bytes.Length;)
        {
            string id = Text(bytes, at);
            int size = BitConverter.ToInt32(bytes, at + 4);
            int body = at + 8;
            if (size < 0 || body + (long)size > bytes.Length)
                throw new CoinUserException($"{path}: chunk '{id}' claims {size} bytes but the file ends after {bytes.Length - body} (truncated?)");
            if (id == "fmt ")
            {
                if (size < 16) throw new CoinUserException($"{path}: the fmt chunk has {size} bytes; a WAV fmt chunk has at least 16");
                format = BitConverter.ToUInt16(bytes, body);
                channels = BitConverter.ToUInt16(bytes, body + 2);
                rate = BitConverter.ToInt32(bytes, body + 4);
                bits = BitConverter.ToUInt16(bytes, body + 14);
                if (format == 0xFFFE && size >= 26) format = BitConverter.ToUInt16(bytes, body + 24); // WAVE_FORMAT_EXTENSIBLE
            }
            else if (id == "data")
            {
                if (channels == 0) throw new CoinUserException($"{path}: the data chunk comes before a fmt chunk (or the fmt chunk says 0 channels)");
                // 1 Hz to 1 MHz covers every real recording; beyond that a resampler would allocate absurd buffers.
                if (rate is < 1 or > 1_000_000) throw new CoinUserException($"{path}: sample rate {rate} Hz is outside 1 Hz to 1 MHz");
                // 32 channels covers every real layout (22.2 surround is 24); 65,535 is a damaged header.
                if (channels > 32) throw new CoinUserException($"{path}: {channels} channels; expected 1 to 32");
                if (size < channels * Math.Max(1, bits / 8)) throw new CoinUserException($"{path}: the data chunk holds no complete sample");
                return (Decode(bytes.AsSpan(body, size), format, bits, channels, path), rate);
            }
            at = body + size + (size & 1);
        }
        throw new CoinUserException($"{path}: no data chunk");
    }

    private static float[] Decode(ReadOnlySpan<byte> data, int format, int bits, int channels, string path)
    {
        int width = bits / 8;
        if (!(format == 1 && bits is 16 or 32 || format == 3 && bits == 32))
            throw new CoinUserException($"{path}: unsupported WAV encoding (format {format}, {bits} bits); expected PCM 16/32-bit or float 32-bit");
        int frames = data.Length / (width * channels);
        var mono = new float[frames];
        for (int f = 0; f < frames; f++)
        {
            float sum = 0;
            for (int c = 0; c < channels; c++)
            {
                var sample = data.Slice((f * channels + c) * width, width);
                sum += format == 3 ? BitConverter.ToSingle(sample)
                    : bits == 16 ? BitConverter.ToInt16(sample) / 32768f
                    : BitConverter.ToInt32(sample) / 2147483648f;
            }
            mono[f] = sum / channels;
        }
        return mono;
    }

    /// <summary>Writes mono PCM 16-bit, for generated data and tests.</summary>
    public static void WritePcm16(string path, ReadOnlySpan<float> samples, int sampleRate)
    {
        using var writer = new BinaryWriter(File.Create(path));
        int dataBytes = samples.Length * 2;
        writer.Write("RIFF"u8); writer.Write(36 + dataBytes); writer.Write("WAVE"u8);
        writer.Write("fmt "u8); writer.Write(16); writer.Write((short)1); writer.Write((short)1);
        writer.Write(sampleRate); writer.Write(sampleRate * 2); writer.Write((short)2); writer.Write((short)16);
        writer.Write("data"u8); writer.Write(dataBytes);
        foreach (float s in samples) writer.Write((short)Math.Clamp(MathF.Round(s * 32767f), -32768, 32767));
    }

    private static string Text(byte[] bytes, int at) => System.Text.Encoding.ASCII.GetString(bytes, at, 4);
}
