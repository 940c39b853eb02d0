using Coin.Abstractions.Plugins;
using Coin.Plugins.Datasets.CoinFormat;
using Coin.Tests.Support;

namespace Coin.Tests.Data;

/// <summary>CoIN / LLaVA files: good rows become samples; bad rows give one error naming file, row and field, or
/// are skipped and counted.</summary>
public class CoinFileReaderTests
{
    private static (string Folder, string Image) Folder()
    {
        string folder = TestPaths.NewTemporaryDirectory("coin-files");
        string image = Path.Combine(folder, "a.png");
        File.WriteAllBytes(image, [1]);
        return (folder, image);
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
        string path = Write(folder, "train.json", $$"""[{{GoodTrainRow}}, {"id": "2", "image": "gone.png", "conversations": []}, {{GoodTrainRow}}]""");
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
