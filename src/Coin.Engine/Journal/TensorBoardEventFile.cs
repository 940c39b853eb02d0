using System.Buffers.Binary;
using Google.Protobuf;
using Tensorboard;

namespace Coin.Engine.Journal;

/// <summary>One TensorBoard event file, written as PyTorch's <c>SummaryWriter</c> writes it: named
/// <c>events.out.tfevents.{unix seconds, 10 digits}.{host}.{pid}.{n}</c>, each event stamped with its wall time in
/// seconds since the Unix epoch, records framed as TFRecords (length, masked CRC-32C of the length, the Event
/// protobuf, masked CRC-32C of it).</summary>
/// <remarks>TorchSharp's writer names files by .NET ticks and stamps events with ticks (or 0): TensorBoard sorts a
/// folder's files by name and plots wall time in seconds, so next to PyTorch's files its runs sort and time wrongly.
/// The protobuf classes are TorchSharp's (<c>Tensorboard.Event</c>).</remarks>
public sealed class TensorBoardEventFile : IDisposable
{
    private static int count;
    private readonly FileStream stream;

    public string Path { get; }

    public TensorBoardEventFile(string folder)
    {
        long seconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Path = System.IO.Path.Combine(folder, $"events.out.tfevents.{seconds:D10}.{Environment.MachineName}.{Environment.ProcessId}.{Interlocked.Increment(ref count) - 1}");
        stream = new FileStream(Path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        Write(new Event { WallTime = Now(), FileVersion = "brain.Event:2" });
    }

    public void Scalar(string tag, float value, long step)
        => Write(new Event { WallTime = Now(), Step = step, Summary = new Summary { Value = { new Summary.Types.Value { Tag = tag, SimpleValue = value } } } });

    /// <summary>A PNG file as an image summary; its size and colour channels from its IHDR chunk.</summary>
    public void Image(string tag, byte[] png, long step)
    {
        if (png.Length < 26 || !png.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }))
            throw new InvalidDataException($"{tag}: not a PNG");
        int colourType = png[25];
        var image = new Summary.Types.Image
        {
            Width = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4)),
            Height = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4)),
            // PNG colour types 0 grey, 2 RGB, 3 palette (shown as RGB), 4 grey + alpha, 6 RGBA.
            Colorspace = colourType switch { 0 => 1, 4 => 2, 6 => 4, _ => 3 },
            EncodedImageString = ByteString.CopyFrom(png),
        };
        Write(new Event { WallTime = Now(), Step = step, Summary = new Summary { Value = { new Summary.Types.Value { Tag = tag, Image = image } } } });
    }

    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    private void Write(Event entry)
    {
        byte[] payload = entry.ToByteArray();
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], MaskedCrc32C(header[..8]));
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, MaskedCrc32C(payload));
        stream.Write(header);
        stream.Write(payload);
        stream.Write(footer);
        // TensorBoard reads the file while the run writes it: each record whole on disk before the next.
        stream.Flush();
    }

    private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82F63B78u ^ (c >> 1) : c >> 1; // CRC-32C (Castagnoli), reflected
        return c;
    }).ToArray();

    /// <summary>TFRecord's checksum: CRC-32C rotated right by 15 bits plus a constant.</summary>
    private static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        crc ^= 0xFFFFFFFFu;
        return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
    }

    public void Dispose() => stream.Dispose();
}
