using System.Diagnostics;
using Coin.Abstractions.Plugins;
using Coin.Nn.Audio;
using Coin.Nn.Files;
using Coin.Tests.Support;

namespace Coin.Tests.Data;

/// <summary>Files a run did not write are read only when they are regular, non-empty and of a bounded size, and their
/// containment is judged by real paths: special files, oversized files, links out of a folder and NUL characters are
/// each refused with one message, at once.</summary>
public class InputFileTests
{
    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
    }

    [TestCase("""{"a": "x\ud800y"}""", 8, TestName = "A lone high surrogate escape is found")]
    [TestCase("""{"a": "\udc00"}""", 7, TestName = "A lone low surrogate escape is found")]
    [TestCase("""{"a": "\ud83d\ude00 \ud83d"}""", 20, TestName = "A pair passes and the lone one after it is found")]
    [TestCase("""{"a": "\ud83d\u0041"}""", 7, TestName = "A high surrogate before another escape is unpaired")]
    [TestCase("""{"a": "\ud83d\ude00", "b": "\u00e9\\ud800"}""", null, TestName = "Pairs, other escapes and an escaped backslash before ud800 are text")]
    [TestCase("""{"a": "ends with \ud8"}""", null, TestName = "A short escape is left to the parser")]
    public void Unpaired_surrogate_escapes_are_found_where_they_start(string json, int? at)
        => Assert.That(InputFile.UnpairedSurrogateEscape(json), Is.EqualTo(at));

    [Test]
    public void A_json_file_with_an_unpaired_surrogate_escape_is_refused_by_line()
    {
        string path = Path.Combine(TestPaths.NewTemporaryDirectory("surrogate"), "config.json");
        File.WriteAllText(path, "{\n  \"model_type\": \"llama\",\n  \"name\": \"a\\ud800\"\n}\n");
        var error = Assert.Throws<CoinUserException>(() => InputFile.ReadJsonText(path, InputFile.Limits.Config, "model config"));
        Assert.That(error!.Message, Is.EqualTo($"{path}: line 3: \\ud800 is an unpaired UTF-16 surrogate escape, which is no text; expected a high and low pair (\\ud83d\\ude00) or another character"));
    }

    [Test]
    public void Special_files_are_refused_without_being_opened()
    {
        string folder = TestPaths.NewTemporaryDirectory("input-file");
        string fifo = Path.Combine(folder, "train.json");
        MakeFifo(fifo);
        var clock = Stopwatch.StartNew();
        foreach (string path in new[] { fifo, "/dev/zero", "/dev/urandom", "/proc/self/environ" })
        {
            var error = Assert.Throws<CoinUserException>(() => InputFile.ReadAllText(path, InputFile.Limits.TaskFile, "task file"));
            Assert.That(error!.Message, Does.StartWith($"{path}: task file is empty or not a regular file"));
        }
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "nothing blocked or read without end");
    }

    [Test]
    public void A_file_over_its_kind_limit_is_refused_with_both_sizes()
    {
        string file = Path.Combine(TestPaths.NewTemporaryDirectory("input-file"), "config.json");
        File.WriteAllBytes(file, new byte[3 << 20]);
        var error = Assert.Throws<CoinUserException>(() => InputFile.Check(file, 1 << 20, "config file"));
        Assert.That(error!.Message, Is.EqualTo($"{file}: config file is 3 MiB, more than the 1 MiB a config file may have"));
        Assert.Throws<CoinUserException>(() => InputFile.Check(Path.Combine(Path.GetDirectoryName(file)!, "missing.json"), 1 << 20, "config file"), "not found");
    }

    [Test]
    public void Containment_follows_links_to_their_real_paths()
    {
        string root = TestPaths.NewTemporaryDirectory("input-file");
        string media = Directory.CreateDirectory(Path.Combine(root, "media")).FullName;
        string outside = Path.Combine(root, "outside.png");
        File.WriteAllBytes(outside, [1, 2, 3]);
        File.WriteAllBytes(Path.Combine(media, "inside.png"), [1, 2, 3]);
        File.CreateSymbolicLink(Path.Combine(media, "escape.png"), outside);
        File.CreateSymbolicLink(Path.Combine(media, "passwd.png"), "/etc/passwd");
        File.CreateSymbolicLink(Path.Combine(media, "relative.png"), "../outside.png");
        File.CreateSymbolicLink(Path.Combine(media, "alias.png"), "inside.png");
        Directory.CreateSymbolicLink(Path.Combine(media, "up"), root);
        Directory.CreateSymbolicLink(Path.Combine(root, "media-link"), media);

        Assert.That(InputFile.IsInside(Path.Combine(media, "inside.png"), media), Is.True);
        Assert.That(InputFile.IsInside(Path.Combine(media, "alias.png"), media), Is.True, "a link to a file inside stays inside");
        Assert.That(InputFile.IsInside(Path.Combine(root, "media-link", "inside.png"), media), Is.True, "the folder through a link is the same folder");
        foreach (string name in new[] { "escape.png", "passwd.png", "relative.png", "up/outside.png" })
            Assert.That(InputFile.IsInside(Path.Combine(media, name), media), Is.False, name);
        Assert.That(InputFile.RealPath(Path.Combine(media, "up", "media", "..", "outside.png")), Is.EqualTo(outside), "'..' after a link is the link target's parent");
    }

    [Test]
    public void A_loop_of_links_and_a_nul_character_are_refused()
    {
        string folder = TestPaths.NewTemporaryDirectory("input-file");
        File.CreateSymbolicLink(Path.Combine(folder, "a"), Path.Combine(folder, "b"));
        File.CreateSymbolicLink(Path.Combine(folder, "b"), Path.Combine(folder, "a"));
        Assert.That(Assert.Throws<CoinUserException>(() => InputFile.Check(Path.Combine(folder, "a"), 100, "image"))!.Message, Does.Contain("more than 40 symbolic links"));
        Assert.That(Assert.Throws<CoinUserException>(() => InputFile.Check("a\0b.png", 100, "image"))!.Message, Does.Contain("NUL character"));
    }

    [Test]
    public void A_wav_with_absurd_channels_or_no_samples_is_refused()
    {
        string folder = TestPaths.NewTemporaryDirectory("input-file");
        string good = Path.Combine(folder, "good.wav");
        WavFile.WritePcm16(good, new float[160], 16_000);
        byte[] bytes = File.ReadAllBytes(good);
        var channels = (byte[])bytes.Clone();
        BitConverter.GetBytes((ushort)65535).CopyTo(channels, 22);
        File.WriteAllBytes(Path.Combine(folder, "channels.wav"), channels);
        Assert.That(Assert.Throws<CoinUserException>(() => WavFile.Read(Path.Combine(folder, "channels.wav")))!.Message, Does.Contain("65535 channels; expected 1 to 32"));
        string empty = Path.Combine(folder, "empty.wav");
        WavFile.WritePcm16(empty, [], 16_000);
        Assert.That(Assert.Throws<CoinUserException>(() => WavFile.Read(empty))!.Message, Does.Contain("the data chunk holds no complete sample"));
    }
}
