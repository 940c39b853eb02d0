using Coin.Abstractions.Plugins;
using Coin.Plugins.Datasets.CoinFormat;
using Coin.Tests.Support;
using SkiaSharp;

namespace Coin.Tests.Data;

/// <summary>CoIN / LLaVA files: good rows become samples; bad rows give one error naming file, row and field, or
/// are skipped and counted.</summary>
public class CoinFileReaderTests
{
    private static (string Folder, string Image) Folder()
    {
        string folder = TestPaths.NewTemporaryDirectory("coin-files");
        string image = Path.Combine(folder, "a.png");
        File.WriteAllBytes(image, Png(2, 2));
        return (folder, image);
    }

    private static byte[] Png(int width, int height)
    {
        using var bitmap = new SKBitmap(width, height);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>A small PNG whose header claims another size (IHDR patched, its CRC recomputed): what a hostile file
    /// looks like, without allocating the image.</summary>
    private static byte[] PngClaiming(int width, int height)
    {
        byte[] png = Png(2, 2);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), height);
        uint crc = 0xFFFFFFFF;
        foreach (byte b in png.AsSpan(12, 17))
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), ~crc);
        return png;
    }

    private static string Row(string image) => GoodTrainRow.Replace("a.png", image);

    [Test]
    public void MediaFilesAreCheckedBeforeTheyAreUsed()
    {
        var (folder, _) = Folder();
        File.WriteAllBytes(Path.Combine(folder, "huge.png"), PngClaiming(8000, 8000));
        File.WriteAllBytes(Path.Combine(folder, "corrupt.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [Path.Combine(folder, "pipe.png")])) mkfifo.WaitForExit();
        var reader = new CoinFileReader(folder, skipInvalid: false, [], _ => { });
        foreach (var (image, expected) in new[]
                 {
                     ("../../../../etc/passwd", "is outside the media folder"),
                     ("/dev/zero", "is outside the media folder"),
                     ("pipe.png", "is empty or not a regular file"),
                     ("corrupt.png", "is not a readable PNG or JPEG image"),
                     ("huge.png", "is 8000x8000 (64,000,000 pixels), more than maxImagePixels (50,000,000)"),
                 })
        {
            string path = Write(folder, "train.json", $"[{Row(image)}]");
            var error = Assert.Throws<CoinUserException>(() => reader.ReadTrain("T", path))!;
            Assert.That(error.Message, Does.Contain("row 0, field 'image'").And.Contain(expected), image);
        }

        var warnings = new List<string>();
        string mixed = Write(folder, "mixed.json", $"[{GoodTrainRow}, {Row("corrupt.png")}, {Row("huge.png")}]");
        Assert.That(new CoinFileReader(folder, skipInvalid: true, [], warnings.Add).ReadTrain("T", mixed), Has.Count.EqualTo(1), "onInvalidRow: skip applies to media");
        Assert.That(warnings.Single(), Does.Contain("skipped 2 of 3 rows"));

        var outside = new CoinFileReader(Path.Combine(folder, "sub"), skipInvalid: false, [], _ => { }, new MediaCheck.Limits(AllowOutsideFolder: true, 50_000_000));
        Assert.That(outside.ReadTrain("T", Write(folder, "up.json", $"[{Row("../a.png")}]")), Has.Count.EqualTo(1), "allowed when the experiment says so");
    }

    [Test]
    public void Links_out_of_the_media_folder_duplicate_ids_and_nul_characters_are_named()
    {
        var (folder, image) = Folder();
        string outside = Path.Combine(TestPaths.NewTemporaryDirectory("coin-files-outside"), "b.png");
        File.Copy(image, outside);
        File.CreateSymbolicLink(Path.Combine(folder, "escape.png"), outside);
        File.CreateSymbolicLink(Path.Combine(folder, "passwd.png"), "/etc/passwd");
        File.CreateSymbolicLink(Path.Combine(folder, "zero.png"), "/dev/zero");
        File.CreateSymbolicLink(Path.Combine(folder, "alias.png"), "a.png");
        var reader = new CoinFileReader(folder, skipInvalid: false, [], _ => { });
        foreach (string link in new[] { "escape.png", "passwd.png", "zero.png" })
        {
            var error = Assert.Throws<CoinUserException>(() => reader.ReadTrain("T", Write(folder, "train.json", $"[{Row(link)}]")))!;
            Assert.That(error.Message, Does.Contain("row 0, field 'image'").And.Contain("is outside the media folder"), link);
        }
        Assert.That(reader.ReadTrain("T", Write(folder, "alias.json", $"[{Row("alias.png")}]")), Has.Count.EqualTo(1), "a link that stays inside is fine");

        string twice = Write(folder, "twice.json", $"[{GoodTrainRow}, {GoodTrainRow}]");
        Assert.That(Assert.Throws<CoinUserException>(() => reader.ReadTrain("T", twice))!.Message,
            Is.EqualTo($"{twice}: row 1, field 'id': duplicate id '1' (row 0 has it too)"));

        string nul = Write(folder, "nul.json", $"[{Row("a\\u0000.png")}]");
        Assert.That(Assert.Throws<CoinUserException>(() => reader.ReadTrain("T", nul))!.Message, Does.Contain("row 0, field 'image': the path holds a NUL character"));

        // An escaped unpaired surrogate parses as JSON and fails only when the string is read.
        foreach (string broken in new[] { "What\\ud800?", "What\\udc00?", "What\\ud800\\ud800?" })
        {
            string surrogate = Write(folder, "surrogate.json", $"[{GoodTrainRow}, {GoodTrainRow.Replace("\"1\"", "\"2\"").Replace("What?", broken)}]");
            Assert.That(Assert.Throws<CoinUserException>(() => reader.ReadTrain("T", surrogate))!.Message,
                Is.EqualTo($"{surrogate}: row 1, field '(row)': holds text that is not valid UTF-16 (an unpaired surrogate escape such as \\ud800)"));
        }
    }

    private static string Write(string folder, string name, string json)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllText(path, json);
        return path;
    }

    private const string GoodTrainRow = """{"id": "1", "image": "a.png", "conversations": [{"from": "human", "value": "<image>\nWhat?"}, {"from": "gpt", "value": "cat"}]}""";

    [Test]
    public void GoodRowsBecomeSamples()
    {
        var (folder, image) = Folder();
        var reader = new CoinFileReader(folder, skipInvalid: false, [], _ => { });
        var train = reader.ReadTrain("T", Write(folder, "train.json", $"[{GoodTrainRow}]"));
        Assert.That(train.Single().Instruction, Is.EqualTo("<image>\nWhat?"));
        Assert.That(train.Single().Answer, Is.EqualTo("cat"));
        Assert.That(train.Single().Inputs.Single().Path, Is.EqualTo(image));

        var test = reader.ReadTest("T", Write(folder, "test.json",
            """[{"question_id": 7, "image": "a.png", "text": "Which?\nA. x\nB. y\nC. z\nAnswer with the option's letter from the given choices directly.", "answer": "B"}]"""));
        Assert.That(test.Single().Id, Is.EqualTo("7"));
        Assert.That(test.Single().Instruction, Does.StartWith("<image>\nWhich?"));
        Assert.That(test.Single().References!["choices"], Is.EqualTo("3"), "counted from the option lines");
    }

    /// <summary>An answer written as a JSON integer (a count) is its digits, as Python's str() gives them; other numbers
    /// have no one text and are refused.</summary>
    [TestCase("3", "3")]
    [TestCase("-12", "-12")]
    [TestCase("-0", "0")]
    [TestCase("\"3\"", "3")]
    [TestCase("2.5", null)]
    [TestCase("1e3", null)]
    [TestCase("true", null)]
    public void A_test_answer_may_be_an_integer(string answer, string? expected)
    {
        var (folder, _) = Folder();
        var reader = new CoinFileReader(folder, skipInvalid: false, [], _ => { });
        string path = Write(folder, "test.json", $$"""[{"question_id": 1, "image": "a.png", "text": "How many?", "answer": {{answer}}}]""");
        if (expected is not null)
        {
            Assert.That(reader.ReadTest("T", path).Single().Answer, Is.EqualTo(expected));
            return;
        }
        var error = Assert.Throws<CoinUserException>(() => reader.ReadTest("T", path));
        Assert.That(error!.Message, Does.StartWith(path + ": row 0, field 'answer': "));
    }

    [TestCase("""[{"id": "1", "image": "missing.png", "conversations": []}]""", "row 0, field 'image': file not found")]
    [TestCase("""[{"id": "1", "image": "a.png", "conversations": [{"from": "human", "value": "no placeholder"}, {"from": "gpt", "value": "x"}]}]""", "row 0, field 'conversations[0].value': 0 <image> placeholder(s) for 1 image file(s)")]
    [TestCase("""[{"id": "1", "image": "a.png", "colour": "red", "conversations": []}]""", "row 0, field 'colour': unknown field")]
    [TestCase("""[{"image": "a.png", "conversations": []}]""", "row 0, field 'id': expected a string or number")]
    [TestCase("""[{"id": "1", "image": "a.png", "conversations": [{"from": "gpt", "value": "x"}, {"from": "gpt", "value": "x"}]}]""", "row 0, field 'conversations[0].from': expected \"human\"")]
    public void ABadRowIsNamedWithFileRowAndField(string json, string expected)
    {
        var (folder, _) = Folder();
        string path = Write(folder, "train.json", json);
        var error = Assert.Throws<CoinUserException>(() => new CoinFileReader(folder, false, [], _ => { }).ReadTrain("T", path));
        Assert.That(error!.Message, Does.StartWith(path + ": " + expected));
    }

    [Test]
    public void SkippingCountsBadRowsInOneWarning()
    {
        var (folder, _) = Folder();
        var warnings = new List<string>();
        string path = Write(folder, "train.json", $$"""[{{GoodTrainRow}}, {"id": "2", "image": "gone.png", "conversations": []}, {{GoodTrainRow.Replace("\"1\"", "\"3\"")}}]""");
        var samples = new CoinFileReader(folder, skipInvalid: true, [], warnings.Add).ReadTrain("T", path);
        Assert.That(samples, Has.Count.EqualTo(2));
        Assert.That(warnings.Single(), Does.StartWith($"{path}: skipped 1 of 3 rows; the first: {path}: row 1, field 'image': file not found"));
    }

    [Test]
    public void MalformedJsonNamesTheLine()
    {
        var (folder, _) = Folder();
        string path = Write(folder, "train.json", "[\n{\"id\": 1,,}\n]");
        var error = Assert.Throws<CoinUserException>(() => new CoinFileReader(folder, false, [], _ => { }).ReadTrain("T", path));
        Assert.That(error!.Message, Does.StartWith($"{path}: malformed JSON at line 2"));
    }
}
