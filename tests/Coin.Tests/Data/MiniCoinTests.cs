using System.Text.Json;
using Coin.Plugins.Datasets.MiniCoin;
using Coin.Tests.Support;

namespace Coin.Tests.Data;

/// <summary>Mini-CoIN is deterministic from its seed and written in CoIN's formats.</summary>
public class MiniCoinTests
{
    private static readonly string[] AllTasks = [.. MiniCoinGenerator.StreamTaskNames];

    private static Dictionary<string, byte[]> Files(string folder)
        => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(folder, f), File.ReadAllBytes);

    [Test]
    public void TheSameSeedGivesByteIdenticalFilesAndAnotherSeedDifferentOnes()
    {
        string root = TestPaths.NewTemporaryDirectory("mini-coin");
        MiniCoinGenerator.Generate(Path.Combine(root, "a"), AllTasks, seed: 3, new MiniCoinSizes(6, 4, 5, 32));
        MiniCoinGenerator.Generate(Path.Combine(root, "b"), AllTasks, seed: 3, new MiniCoinSizes(6, 4, 5, 32));
        MiniCoinGenerator.Generate(Path.Combine(root, "c"), AllTasks, seed: 4, new MiniCoinSizes(6, 4, 5, 32));
        var a = Files(Path.Combine(root, "a"));
        var b = Files(Path.Combine(root, "b"));
        var c = Files(Path.Combine(root, "c"));
        Assert.That(b.Keys, Is.EquivalentTo(a.Keys));
        Assert.That(a.Keys.Where(k => !a[k].SequenceEqual(b[k])), Is.Empty, "same seed, same bytes");
        Assert.That(a.Keys.Count(k => k.EndsWith(".png") && !a[k].SequenceEqual(c[k])), Is.GreaterThan(a.Count / 2), "another seed, other images");
        Assert.That(a.Keys.Count(k => k.EndsWith(".png")), Is.EqualTo(8 * 10 + 5), "8 image tasks × (6 + 4), 5 captions");
        Assert.That(a.Keys.Count(k => k.EndsWith(".wav")), Is.EqualTo(10));
    }

    [Test]
    public void FilesFollowTheLlavaAndCoinFormats()
    {
        string folder = Path.Combine(TestPaths.NewTemporaryDirectory("mini-coin"), "data");
        MiniCoinGenerator.Generate(folder, AllTasks, seed: 1, new MiniCoinSizes(3, 3, 2, 32));
        var train = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "ScienceQA", "train.json"))).RootElement[0];
        Assert.That(train.GetProperty("image").GetString(), Does.EndWith(".png"));
        var turns = train.GetProperty("conversations");
        Assert.That(turns[0].GetProperty("from").GetString(), Is.EqualTo("human"));
        Assert.That(turns[0].GetProperty("value").GetString(), Does.StartWith("<image>\n").And.EndWith("Answer with the option's letter from the given choices directly."));
        Assert.That(turns[1].GetProperty("value").GetString(), Does.Match("^[A-D]$"));

        var grounding = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "Grounding", "test.json"))).RootElement[0];
        Assert.That(grounding.GetProperty("answer_bbox").GetString(), Does.Match(@"^\[\d\.\d\d, \d\.\d\d, \d\.\d\d, \d\.\d\d\]$"));
        Assert.That(grounding.GetProperty("size").EnumerateArray().Select(e => e.GetInt32()), Is.EqualTo(new[] { 32, 32 }));
        Assert.That(grounding.GetProperty("text").GetString(), Does.Not.Contain("<image>"), "CoIN's test text has no placeholder");

        var textVqa = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "TextVQA", "test.json"))).RootElement[0];
        Assert.That(textVqa.GetProperty("answers").GetArrayLength(), Is.EqualTo(10));
        var tones = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "Tones", "train.json"))).RootElement[0];
        Assert.That(tones.GetProperty("audio").GetString(), Does.EndWith(".wav"));
        Assert.That(File.Exists(Path.Combine(folder, MiniCoinGenerator.Manifest)));

        // First-stage data for the base model: image–caption conversations in the same LLaVA format.
        var captions = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, MiniCoinGenerator.PretrainFile))).RootElement;
        Assert.That(captions.GetArrayLength(), Is.EqualTo(2));
        Assert.That(captions[0].GetProperty("conversations")[0].GetProperty("value").GetString(), Does.StartWith("<image>\nDescribe the "));
        Assert.That(captions[0].GetProperty("conversations")[1].GetProperty("value").GetString(), Does.EndWith("."));
    }
}
