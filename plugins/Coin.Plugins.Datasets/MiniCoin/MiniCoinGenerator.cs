using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Nn.Audio;

namespace Coin.Plugins.Datasets.MiniCoin;

/// <summary>Writes mini-CoIN to a folder in CoIN's formats: per task <c>Task/train.json</c> (LLaVA conversations)
/// and <c>Task/test.json</c> (CoIN test rows), with PNG and WAV files under <c>images/</c> and <c>audio/</c>.
/// Deterministic: the same seed and sizes give byte-identical files. <c>manifest.json</c> is written last, so a
/// folder without it is an interrupted generation and is generated again.</summary>
internal sealed record MiniCoinSizes(int TrainPerTask, int TestPerTask, int PretrainSamples, int ImageSize, int InstructionSamples = 0);

internal static class MiniCoinGenerator
{
    public const string Manifest = "manifest.json";
    public const string PretrainFile = "Captions/train.json";
    public const string InstructionFile = "Instructions/train.json";

    /// <summary>Bumped whenever a task draws differently, so cached folders of older versions are not reused.</summary>
    public const int Version = 3;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Tasks a stream may list (everything but the base model's captions and instruction mix).</summary>
    public static IReadOnlyList<string> StreamTaskNames => MiniCoinTasks.All.Select(t => t.Name).Where(n => n is not ("Captions" or "Instructions")).ToList();

    public static IReadOnlyList<string> DefaultStream => MiniCoinTasks.Stream;

    public static string FolderName(IReadOnlyList<string> tasks, int seed, MiniCoinSizes sizes)
        => $"v{Version}-seed{seed}-size{sizes.ImageSize}-train{sizes.TrainPerTask}-test{sizes.TestPerTask}-pre{sizes.PretrainSamples}{(sizes.InstructionSamples > 0 ? $"-inst{sizes.InstructionSamples}" : "")}-{string.Join('_', tasks)}";

    public static string MetricOf(string task) => MiniCoinTasks.All.Single(t => t.Name == task).Metric;
    public static string ModalityOf(string task) => MiniCoinTasks.All.Single(t => t.Name == task).Modality;

    /// <param name="progress">A line about every 10% of the images (or 5 seconds), with the rate and the time left.</param>
    public static void Generate(string folder, IReadOnlyList<string> tasks, int seed, MiniCoinSizes sizes, Action<string>? progress = null)
    {
        int imageSize = sizes.ImageSize;
        // A staging folder of this process's own: runs that share the data folder and start at once each generate
        // (identical bytes), and the first to finish publishes; nobody deletes a folder another process reads.
        string staging = $"{folder}.partial-{Environment.ProcessId}-{Guid.NewGuid():N}";
        Directory.CreateDirectory(staging);
        var splits = tasks.SelectMany(t => new[] { (t, "train", sizes.TrainPerTask), (t, "test", sizes.TestPerTask) }).ToList();
        if (sizes.PretrainSamples > 0) splits.Add(("Captions", "train", sizes.PretrainSamples));
        if (sizes.InstructionSamples > 0) splits.Add(("Instructions", "train", sizes.InstructionSamples));
        int total = splits.Sum(s => s.Item3), done = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        void Report(string name, string split)
        {
            done++;
            if (progress is null || (done % Math.Max(1, total / 10) != 0 && clock.Elapsed - lastReport < TimeSpan.FromSeconds(5) && done != total)) return;
            lastReport = clock.Elapsed;
            double rate = done / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
            progress(FormattableString.Invariant($"generating mini-CoIN: {done:N0}/{total:N0} samples ({name} {split}), {rate:F0}/s, {(total - done) / rate:F0} s left"));
        }
        foreach (var (name, split, count) in splits)
        {
            var task = MiniCoinTasks.All.Single(t => t.Name == name);
            int taskNumber = MiniCoinTasks.All.ToList().IndexOf(task);
            Directory.CreateDirectory(Path.Combine(staging, name));
            {
                // A fixed mix of seed, task and split: string.GetHashCode is randomised per process.
                var random = new Random(unchecked(seed * 1_000_003 + taskNumber * 7_919 + (split == "train" ? 0 : 104_729)));
                var rows = new JsonArray();
                for (int i = 0; i < count; i++)
                {
                    rows.Add(Write(staging, task, split, i, task.Make(random, imageSize)));
                    Report(name, split);
                }
                File.WriteAllText(Path.Combine(staging, name, $"{split}.json"), rows.ToJsonString(Indented));
            }
        }
        var manifest = new JsonObject
        {
            ["generator"] = $"mini-coin {Version}",
            ["seed"] = seed,
            ["imageSize"] = imageSize,
            ["trainPerTask"] = sizes.TrainPerTask,
            ["testPerTask"] = sizes.TestPerTask,
            ["pretrain"] = sizes.PretrainSamples > 0 ? PretrainFile : null,
            ["pretrainSamples"] = sizes.PretrainSamples,
            ["tasks"] = new JsonArray(tasks.Select(t => (JsonNode)new JsonObject
            {
                ["name"] = t, ["train"] = $"{t}/train.json", ["test"] = $"{t}/test.json", ["metric"] = MetricOf(t), ["modality"] = ModalityOf(t),
            }).ToArray()),
        };
        if (sizes.InstructionSamples > 0)
        {
            // Only when there is a mix: a folder without one keeps the manifest it always had.
            manifest["instructions"] = InstructionFile;
            manifest["instructionSamples"] = sizes.InstructionSamples;
        }
        File.WriteAllText(Path.Combine(staging, Manifest), manifest.ToJsonString(Indented));
        // A folder without a manifest is an interrupted generation of an older version: replace it.
        if (Directory.Exists(folder) && !File.Exists(Path.Combine(folder, Manifest))) Directory.Delete(folder, recursive: true);
        try
        {
            Directory.Move(staging, folder);
        }
        catch (IOException) when (File.Exists(Path.Combine(folder, Manifest)))
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    private static JsonObject Write(string root, MiniCoinTasks.Definition task, string split, int index, MiniCoinExample example)
    {
        string id = $"{task.Name}-{split}-{index:D5}";
        string field = task.Modality;
        string file = task.Modality == "audio" ? $"audio/{task.Name}/{id}.wav" : $"images/{task.Name}/{id}.png";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, file))!);
        if (example.Audio is { } audio) WavFile.WritePcm16(Path.Combine(root, file), audio, 16000);
        else example.Image!.SavePng(Path.Combine(root, file));

        if (split == "train")
            return new JsonObject
            {
                ["id"] = id,
                [field] = file,
                ["conversations"] = new JsonArray(
                    new JsonObject { ["from"] = "human", ["value"] = $"<{field}>\n{example.Question}" },
                    new JsonObject { ["from"] = "gpt", ["value"] = example.Answer }),
            };
        var row = new JsonObject { ["question_id"] = id, [field] = file, ["text"] = example.Question, ["answer"] = example.Answer };
        foreach (var (key, value) in example.Extra) row[key] = JsonSerializer.SerializeToNode(value);
        return row;
    }
}
