using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SkiaSharp;
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

    /// <summary>What version 3 of the generator writes for <see cref="PinnedSizes"/>, seed 1 (SHA-256 over every file's
    /// relative path and content, a PNG's content being its decoded pixels so that the encoder's compression does not
    /// count). Runs reuse a cached folder named by the version, so output that changes under the same version would
    /// be reused silently by every machine that has the old folder.</summary>
    private static readonly Dictionary<int, string> Fingerprints = new()
    {
        [3] = "68932CEDC4C86AFFCED2846B9A4B8677AFE88A3422869CFA9DD16D7E4571F136",
    };

    private static readonly MiniCoinSizes PinnedSizes = new(3, 2, 3, 32, InstructionSamples: 12);

    [Test]
    public void The_generators_output_is_pinned_to_its_version()
    {
        string folder = Path.Combine(TestPaths.NewTemporaryDirectory("mini-coin"), "data");
        MiniCoinGenerator.Generate(folder, AllTasks, seed: 1, PinnedSizes);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(folder, file).Replace('\\', '/') + "\n"));
            if (file.EndsWith(".png", StringComparison.Ordinal))
            {
                using var bitmap = SKBitmap.Decode(file);
                hash.AppendData(bitmap.Bytes);
            }
            else hash.AppendData(File.ReadAllBytes(file));
        }
        string fingerprint = Convert.ToHexString(hash.GetHashAndReset());
        Assert.That(Fingerprints.ContainsKey(MiniCoinGenerator.Version), $"MiniCoinGenerator.Version is {MiniCoinGenerator.Version}: add its fingerprint, {fingerprint}, to this test");
        Assert.That(fingerprint, Is.EqualTo(Fingerprints[MiniCoinGenerator.Version]),
            $"mini-CoIN's output changed but MiniCoinGenerator.Version is still {MiniCoinGenerator.Version}: bump it (cached folders are named by it), or undo the change");
    }
}

/// <summary>The base model's second-stage data: a general instruction mix in several phrasings that is none of the
/// stream's tasks in its format, generated only when asked for (a stream without it keeps its folder and files).</summary>
public class MiniCoinInstructionMixTests
{
    [Test]
    public void The_mix_varies_its_wording_and_avoids_every_stream_tasks_answer_format()
    {
        string folder = Path.Combine(TestPaths.NewTemporaryDirectory("mini-coin"), "data");
        MiniCoinGenerator.Generate(folder, ["ScienceQA"], seed: 1, new MiniCoinSizes(2, 2, 2, 32, InstructionSamples: 400));
        var rows = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, MiniCoinGenerator.InstructionFile))).RootElement.EnumerateArray().ToList();
        Assert.That(rows, Has.Count.EqualTo(400));
        var questions = rows.Select(r => r.GetProperty("conversations")[0].GetProperty("value").GetString()!).ToList();
        var answers = rows.Select(r => r.GetProperty("conversations")[1].GetProperty("value").GetString()!).ToList();
        Assert.That(questions, Has.All.StartWith("<image>\n"));
        // Several wordings of one request: the first lines alone take many forms, and so do the format instructions.
        Assert.That(questions.Select(q => q.Split('\n')[1]).Distinct().Count(), Is.GreaterThan(20));
        Assert.That(questions.Select(q => q.Split('\n')[^1]).Distinct().Count(), Is.GreaterThanOrEqualTo(8));
        // Not the stream's formats: no option letters (ScienceQA), no boxes (Grounding), no "unanswerable" (VizWiz).
        Assert.That(answers.Where(a => System.Text.RegularExpressions.Regex.IsMatch(a, "^[A-E]$")), Is.Empty);
        Assert.That(answers.Where(a => a.StartsWith('[')), Is.Empty);
        Assert.That(answers, Has.None.EqualTo("unanswerable"));
        Assert.That(questions.Where(q => q.Contains("letter") || q.Contains("bounding box") || q.Contains("Unanswerable")), Is.Empty);
        // Every kind of request appears: descriptions, names, numbers, yes/no, readings.
        Assert.That(answers.Where(a => a.EndsWith('.')).Count(), Is.GreaterThan(20), "descriptions");
        Assert.That(answers.Intersect(["yes", "no"]).Count(), Is.EqualTo(2));
        Assert.That(answers.Intersect(["1", "2", "3", "4"]).Count(), Is.GreaterThanOrEqualTo(3));
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, MiniCoinGenerator.Manifest))).RootElement;
        Assert.That(manifest.GetProperty("instructions").GetString(), Is.EqualTo(MiniCoinGenerator.InstructionFile));
    }

    [Test]
    public void Without_a_mix_the_folder_name_and_manifest_are_those_of_the_earlier_generator()
    {
        var sizes = new MiniCoinSizes(2, 2, 2, 32);
        Assert.That(MiniCoinGenerator.FolderName(["ScienceQA"], 1, sizes), Is.EqualTo("v3-seed1-size32-train2-test2-pre2-ScienceQA"));
        Assert.That(MiniCoinGenerator.FolderName(["ScienceQA"], 1, sizes with { InstructionSamples = 5 }), Is.EqualTo("v3-seed1-size32-train2-test2-pre2-inst5-ScienceQA"));
        string folder = Path.Combine(TestPaths.NewTemporaryDirectory("mini-coin"), "data");
        MiniCoinGenerator.Generate(folder, ["ScienceQA"], seed: 1, sizes);
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, MiniCoinGenerator.Manifest))).RootElement;
        Assert.That(manifest.TryGetProperty("instructions", out _), Is.False);
        Assert.That(Directory.Exists(Path.Combine(folder, "Instructions")), Is.False);
        Assert.That(MiniCoinGenerator.StreamTaskNames, Has.None.EqualTo("Instructions"), "not a task a stream may list");
    }
}
