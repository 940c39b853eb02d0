using Coin.Abstractions.Plugins;

namespace Coin.Nn.Files;

/// <summary>Reading a file the run did not write itself (an experiment, a task file, media, model weights, a
/// tokenizer, a checkpoint's state): only a regular, non-empty file of at most the size its kind may have, found by
/// its real path. Anything else stops with one message naming the file and what was expected.</summary>
/// <remarks>A FIFO blocks the reader until a writer appears, and <c>/dev/zero</c> or <c>/dev/urandom</c> never end: both
/// report a size of 0, as do <c>/proc</c> files, so "regular and non-empty" is checked by the size <c>stat</c> gives,
/// before the file is opened. Limits are by kind (<see cref="Limits"/>) and generous: they exist so that no input can
/// make a reader allocate without bound, not to second-guess real data.</remarks>
public static class InputFile
{
    private const long MiB = 1L << 20, GiB = 1L << 30;

    /// <summary>The largest file of each kind that is read.</summary>
    public static class Limits
    {
        /// <summary>An experiment or sweep file.</summary>
        public const long Experiment = 16 * MiB;
        /// <summary>A model's or tokenizer's configuration (config.json, tokenizer_config.json, special_tokens_map.json).</summary>
        public const long Config = 16 * MiB;
        /// <summary>tokenizer.json (the largest public ones are ~35 MB) and SentencePiece's tokenizer.model.</summary>
        public const long Tokenizer = 512 * MiB;
        /// <summary>A task file (LLaVA's 665k-conversation mix is 1.0 GB).</summary>
        public const long TaskFile = 8 * GiB;
        /// <summary>An image (a 100-megapixel PNG is ~300 MB; the decoder checks the pixel count apart).</summary>
        public const long Image = 1 * GiB;
        /// <summary>A WAV file (an hour of 48 kHz stereo float32 is 1.4 GB).</summary>
        public const long Audio = 4 * GiB;
        /// <summary>One weights file: a safetensors shard, a pickle checkpoint (a single-file 70B checkpoint in bf16 is ~140 GB).</summary>
        public const long Weights = 1024 * GiB;
        /// <summary>A checkpoint's or run folder's JSON state (state.json, results.json, a cell state).</summary>
        public const long State = 1 * GiB;
    }

    /// <summary>The real path of <paramref name="path"/> (every symbolic link resolved) after checking that it is a
    /// regular, non-empty file of at most <paramref name="maxBytes"/>. <paramref name="what"/> names the file's role
    /// in the message ("task file", "image").</summary>
    public static string Check(string path, long maxBytes, string what)
    {
        string real = RealPath(path, what);
        var info = new FileInfo(real);
        if (!info.Exists)
            throw new CoinUserException(Directory.Exists(real) ? $"{path}: {what} is a folder, not a file" : $"{path}: {what} not found");
        if (info.Length == 0)
            throw new CoinUserException($"{path}: {what} is empty or not a regular file (a FIFO, a device or a /proc file reports no size)");
        if (info.Length > maxBytes)
            throw new CoinUserException($"{path}: {what} is {Size(info.Length)}, more than the {Size(maxBytes)} a {what} may have");
        return real;
    }

    public static string ReadAllText(string path, long maxBytes, string what) => File.ReadAllText(Check(path, maxBytes, what));

    /// <summary><see cref="ReadAllText"/> for a JSON file, refusing an escaped unpaired UTF-16 surrogate
    /// (<c>"\ud800"</c>) by line: System.Text.Json parses one and fails only when the string is read, with an
    /// exception that names neither the file nor the place.</summary>
    public static string ReadJsonText(string path, long maxBytes, string what)
    {
        string text = ReadAllText(path, maxBytes, what);
        if (UnpairedSurrogateEscape(text) is { } at)
            throw new CoinUserException($"{path}: line {Line(text, at)}: {text.Substring(at, 6)} is an unpaired UTF-16 surrogate escape, which is no text; " +
                                        $"expected a high and low pair (\\ud83d\\ude00) or another character");
        return text;
    }

    /// <summary>Where the first escaped surrogate without its partner starts, or null. A backslash escapes the next
    /// character, so <c>\\ud800</c> is a backslash and text, not an escape.</summary>
    public static int? UnpairedSurrogateEscape(string text)
    {
        for (int i = text.IndexOf('\\'); i >= 0 && i < text.Length - 1; i = text.IndexOf('\\', i))
        {
            if (text[i + 1] != 'u') { i += 2; continue; }
            if (Escaped(text, i) is not { } unit) { i += 2; continue; }
            if (char.IsLowSurrogate(unit)) return i;
            if (char.IsHighSurrogate(unit))
            {
                if (i + 12 <= text.Length && text[i + 6] == '\\' && text[i + 7] == 'u' && Escaped(text, i + 6) is { } low && char.IsLowSurrogate(low)) { i += 12; continue; }
                return i;
            }
            i += 6;
        }
        return null;
    }

    private static char? Escaped(string text, int at)
        => at + 6 <= text.Length && ushort.TryParse(text.AsSpan(at + 2, 4), System.Globalization.NumberStyles.AllowHexSpecifier, null, out ushort unit) ? (char)unit : null;

    private static int Line(string text, int at) => text.AsSpan(0, at).Count('\n') + 1;

    public static byte[] ReadAllBytes(string path, long maxBytes, string what) => File.ReadAllBytes(Check(path, maxBytes, what));

    public static FileStream OpenRead(string path, long maxBytes, string what) => File.OpenRead(Check(path, maxBytes, what));

    /// <summary>True when <paramref name="path"/>'s real path lies inside <paramref name="folder"/>'s real path:
    /// links are resolved before the check, so a link inside the folder to a file outside it is outside.</summary>
    public static bool IsInside(string path, string folder)
    {
        string real = RealPath(path, "file"), root = RealPath(folder, "folder");
        string relative = Path.GetRelativePath(root, real);
        return !(Path.IsPathRooted(relative) || relative == ".." || relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal));
    }

    /// <summary>The absolute path with every symbolic link in it resolved, as realpath(3) gives it; parts that do not
    /// exist are kept as written. A NUL character, which no file name can hold, is refused here.</summary>
    public static string RealPath(string path, string what = "file")
    {
        if (path.Contains('\0')) throw new CoinUserException($"{what} path '{path.Replace("\0", "\\0")}' holds a NUL character, which no file name can");
        // Components as written, ".." included: "link/.." is the link target's parent, not the folder holding the link,
        // so nothing is collapsed before the links are resolved (Path.GetFullPath would).
        string absolute = Path.IsPathRooted(path) ? path : Path.Combine(Directory.GetCurrentDirectory(), path);
        string root = Path.GetPathRoot(absolute)!;
        var pending = new Stack<string>(Parts(absolute[root.Length..]).Reverse());
        string current = root;
        int links = 0;
        while (pending.TryPop(out var part))
        {
            if (part == ".") continue;
            if (part == "..") { current = Path.GetDirectoryName(current) ?? root; continue; }
            string next = Path.Combine(current, part);
            if (new FileInfo(next).LinkTarget is { } target)
            {
                // As the kernel does, give up on a loop of links rather than follow it forever.
                if (++links > 40) throw new CoinUserException($"{path}: {what} path has more than 40 symbolic links (a loop?)");
                foreach (string p in Parts(target).Reverse()) pending.Push(p);
                if (Path.IsPathRooted(target)) current = Path.GetPathRoot(target)!;
                continue;
            }
            current = next;
        }
        return current;
    }

    private static string[] Parts(string path) => path.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);

    private static string Size(long bytes) => bytes >= GiB ? $"{bytes / (double)GiB:0.#} GiB" : bytes >= MiB ? $"{bytes / (double)MiB:0.#} MiB" : $"{bytes:N0} bytes";
}
