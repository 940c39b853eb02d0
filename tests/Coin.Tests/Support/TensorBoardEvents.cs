using System.Buffers.Binary;
using System.Text;

namespace Coin.Tests.Support;

/// <summary>Reads TensorBoard event files independently of the writer: TFRecord framing (length, masked CRC-32C of
/// the length, payload, masked CRC-32C of the payload — both checked) and the few fields of the Event protobuf a
/// scalar or image summary uses (wall_time = 1, step = 2, summary = 5; Summary.value = 1; Value.tag = 1, simple_value = 2,
/// image = 4).</summary>
public static class TensorBoardEvents
{
    public sealed record Entry(long Step, string Tag, float? Scalar, bool IsImage, double WallTime = 0);

    public static List<Entry> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var entries = new List<Entry>();
        int at = 0;
        while (at < bytes.Length)
        {
            if (bytes.Length - at < 12) throw new InvalidDataException($"{path}: truncated record header at byte {at}");
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at, 8));
            uint lengthCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8, 4));
            if (Masked(Crc32C(bytes.AsSpan(at, 8))) != lengthCrc) throw new InvalidDataException($"{path}: bad length CRC at byte {at}");
            var payload = bytes.AsSpan(at + 12, checked((int)length));
            uint payloadCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + (int)length, 4));
            if (Masked(Crc32C(payload)) != payloadCrc) throw new InvalidDataException($"{path}: bad payload CRC at byte {at}");
            entries.AddRange(ParseEvent(payload.ToArray()));
            at += 12 + (int)length + 4;
        }
        return entries;
    }

    private static IEnumerable<Entry> ParseEvent(byte[] message)
    {
        long step = 0;
        double wallTime = 0;
        var summaries = new List<byte[]>();
        foreach (var (field, wire, value, data) in Fields(message))
        {
            if (field == 1 && wire == 1) wallTime = BitConverter.UInt64BitsToDouble(value);
            if (field == 2 && wire == 0) step = (long)value;
            if (field == 5 && wire == 2) summaries.Add(data!);
        }
        foreach (var summary in summaries)
            foreach (var (field, wire, _, data) in Fields(summary))
                if (field == 1 && wire == 2)
                {
                    string tag = "";
                    float? scalar = null;
                    bool image = false;
                    foreach (var (f, w, v, d) in Fields(data!))
                    {
                        if (f == 1 && w == 2) tag = Encoding.UTF8.GetString(d!);
                        if (f == 2 && w == 5) scalar = BitConverter.Int32BitsToSingle((int)v);
                        if (f == 4 && w == 2) image = true;
                    }
                    yield return new Entry(step, tag, scalar, image, wallTime);
                }
    }

    /// <summary>Top-level fields of one protobuf message: number, wire type, varint/fixed value, length-delimited bytes.</summary>
    private static IEnumerable<(int Field, int Wire, ulong Value, byte[]? Data)> Fields(byte[] message)
    {
        int at = 0;
        while (at < message.Length)
        {
            ulong key = Varint(message, ref at);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0: yield return (field, wire, Varint(message, ref at), null); break;
                case 1: yield return (field, wire, BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(at, 8)), null); at += 8; break;
                case 5: yield return (field, wire, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(at, 4)), null); at += 4; break;
                case 2:
                    int length = (int)Varint(message, ref at);
                    yield return (field, wire, 0, message.AsSpan(at, length).ToArray());
                    at += length;
                    break;
                default: throw new InvalidDataException($"unexpected protobuf wire type {wire}");
            }
        }
    }

    private static ulong Varint(byte[] data, ref int at)
    {
        ulong result = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = data[at++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
    }

    private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82F63B78u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    private static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc ^ 0xFFFFFFFFu;
    }

    private static uint Masked(uint crc) => ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}
