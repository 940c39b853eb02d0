using System.Globalization;
using Coin.Abstractions.Plugins;
using CsvHelper;
using CsvHelper.Configuration;

namespace Coin.Engine.Journal;

/// <summary>A CSV file of a run folder appended row by row and rolled back with the checkpoint: <see cref="Commit"/>
/// makes everything appended so far durable and returns the file's length, a checkpoint records that length, and a
/// resumed run cuts the file back to it, so rows written after the checkpoint (which the resumed run writes again) are
/// never duplicated and rows before it are never lost. <c>steps.csv</c> and <c>task-log.csv</c> are two.</summary>
public sealed class JournaledCsv : IDisposable
{
    public static readonly CsvConfiguration Format = new(CultureInfo.InvariantCulture) { NewLine = "\n" };

    private readonly FileStream stream;
    private readonly StreamWriter writer;
    private readonly CsvWriter csv;

    private JournaledCsv(FileStream stream)
    {
        this.stream = stream;
        writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true);
        csv = new CsvWriter(writer, Format, leaveOpen: true);
    }

    public string Path => stream.Name;

    /// <summary>Opens <paramref name="path"/> for appending, cut back to <paramref name="length"/> bytes (0: a new file,
    /// which gets <paramref name="header"/>). A file shorter than the checkpoint says was damaged from outside.</summary>
    public static JournaledCsv Open(string path, long length, IReadOnlyList<string> header, string what)
    {
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        if (stream.Length < length)
        {
            long actual = stream.Length;
            stream.Dispose();
            throw new CoinUserException($"{path}: {actual} bytes, but the checkpoint refers to {length}; the {what} was truncated after the checkpoint was written");
        }
        stream.SetLength(length);
        stream.Seek(0, SeekOrigin.End);
        var file = new JournaledCsv(stream);
        if (length == 0) file.Add(header);
        return file;
    }

    public void Add(IReadOnlyList<string> fields)
    {
        foreach (string field in fields) csv.WriteField(field);
        csv.NextRecord();
    }

    /// <summary>Hands what is buffered to the system (not to the disk): for rare rows that should be readable at once.</summary>
    public void Flush() => Flush(toDisk: false);

    /// <summary>Writes out what is buffered, flushes it to disk and returns the file's length.</summary>
    public long Commit()
    {
        Flush(toDisk: true);
        return stream.Length;
    }

    private void Flush(bool toDisk)
    {
        csv.Flush();
        writer.Flush();
        stream.Flush(flushToDisk: toDisk);
    }

    /// <summary>Reads the rows of a file written by <see cref="Open"/> with <paramref name="header"/>; a missing file has
    /// none. <paramref name="row"/> gets each row's fields and returns false when they are malformed, which names the
    /// file, the line and <paramref name="expected"/>.</summary>
    public static void Read(string path, IReadOnlyList<string> header, string expected, Func<CsvReader, bool> row)
    {
        if (!File.Exists(path)) return;
        using var reader = new StreamReader(path);
        using var csv = new CsvReader(reader, Format);
        if (!csv.Read() || !csv.ReadHeader() || !header.SequenceEqual(csv.HeaderRecord ?? []))
            throw new CoinUserException($"{path}: the first line is not the header {string.Join(',', header)}");
        while (csv.Read())
            if (csv.Parser.Count != header.Count || !row(csv))
                throw new CoinUserException($"{path}: line {csv.Parser.RawRow} is not {expected}: {csv.Parser.RawRecord.TrimEnd()}");
    }

    private bool disposed;

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        csv.Flush();
        writer.Flush();
        csv.Dispose();
        writer.Dispose();
        stream.Dispose();
    }
}
