using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using Coin.Abstractions.Plugins;
using Coin.Host.Running;

namespace Coin.Host.Journal;

/// <summary>A run's <c>steps.csv</c> (task, step, name, value), appended row by row as training goes instead of
/// held in memory. <see cref="Commit"/> makes everything appended so far durable and returns the file's length: a
/// checkpoint records that length, and a resumed run cuts the file back to it, so rows logged after the checkpoint
/// (which the resumed run logs again) are never duplicated and rows before it are never lost.</summary>
public sealed class StepLogFile : IStepRecorder, IDisposable
{
    public const string FileName = "steps.csv";
    private static readonly string[] Header = ["task", "step", "name", "value"];
    private static readonly CsvConfiguration Format = new(CultureInfo.InvariantCulture) { NewLine = "\n" };

    private readonly FileStream stream;
    private readonly StreamWriter writer;
    private readonly CsvWriter csv;

    private StepLogFile(FileStream stream)
    {
        this.stream = stream;
        writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true);
        csv = new CsvWriter(writer, Format, leaveOpen: true);
    }

    public string Path => stream.Name;

    /// <summary>Opens the log of a run folder for appending, cut back to <paramref name="length"/> bytes (0: a new
    /// log). A file shorter than the checkpoint says is a run folder damaged from outside.</summary>
    public static StepLogFile Open(string runDirectory, long length)
    {
        string path = System.IO.Path.Combine(runDirectory, FileName);
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        if (stream.Length < length)
        {
            long actual = stream.Length;
            stream.Dispose();
            throw new CoinUserException($"{path}: {actual} bytes, but the checkpoint refers to {length}; the step log was truncated after the checkpoint was written");
        }
        stream.SetLength(length);
        stream.Seek(0, SeekOrigin.End);
        var log = new StepLogFile(stream);
        if (length == 0)
        {
            foreach (string field in Header) log.csv.WriteField(field);
            log.csv.NextRecord();
        }
        return log;
    }

    public void Add(string task, long step, string name, double value)
    {
        csv.WriteField(task);
        csv.WriteField(step.ToString(CultureInfo.InvariantCulture));
        csv.WriteField(name);
        csv.WriteField(value.ToString("R", CultureInfo.InvariantCulture));
        csv.NextRecord();
    }

    /// <summary>Writes out what is buffered, flushes it to disk and returns the file's length.</summary>
    public long Commit()
    {
        csv.Flush();
        writer.Flush();
        stream.Flush(flushToDisk: true);
        return stream.Length;
    }

    /// <summary>Reads a step log; a missing file is an empty log. A malformed row names the file and the line.</summary>
    public static StepLog Read(string path)
    {
        var log = new StepLog();
        if (!File.Exists(path)) return log;
        using var reader = new StreamReader(path);
        using var csv = new CsvReader(reader, Format);
        if (!csv.Read() || !csv.ReadHeader() || !Header.SequenceEqual(csv.HeaderRecord ?? []))
            throw new CoinUserException($"{path}: the first line is not the header {string.Join(',', Header)}");
        while (csv.Read())
        {
            if (csv.Parser.Count != 4
                || !long.TryParse(csv.GetField(1), CultureInfo.InvariantCulture, out long step)
                || !double.TryParse(csv.GetField(3), NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                throw new CoinUserException($"{path}: line {csv.Parser.RawRow} is not task,step,name,value: {csv.Parser.RawRecord.TrimEnd()}");
            log.Add(csv.GetField(0)!, step, csv.GetField(2)!, value);
        }
        return log;
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
