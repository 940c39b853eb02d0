using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;

namespace Coin.Plugins.Datasets;

/// <summary>A generated stream of image-question tasks about coloured shapes. Deterministic from its seed; held in
/// memory (a few MB at the default sizes).</summary>
[CoinPlugin(PluginKind.TaskStream, "shapes", "0.2.0", "Generated image-question tasks about coloured shapes (color, shape, position)")]
internal sealed class ShapesStream : ITaskStreamSource
{
    private readonly ShapesStreamOptions options;
    private readonly int seed;

    /// <summary>Generated from <c>options.seed</c>, else the run's seed.</summary>
    public ShapesStream(ShapesStreamOptions options, ComponentContext context)
    {
        this.options = options;
        seed = options.Seed ?? context.Seed;
        Tasks = options.Tasks.Select((kind, i) => new TaskInfo(DisplayName(kind), i, ["image"], "exact-match")).ToList();
    }

    private string DisplayName(string kind) => options.Names.GetValueOrDefault(kind, kind);

    private string Kind(TaskInfo task) => options.Tasks.Single(kind => DisplayName(kind) == task.Name);

    public IReadOnlyList<TaskInfo> Tasks { get; }

    public IReadOnlyList<Sample> LoadTrain(TaskInfo task) => Generate(task, "train", options.TrainPerTask);
    public IReadOnlyList<Sample> LoadTest(TaskInfo task) => Generate(task, "test", options.TestPerTask);

    private IReadOnlyList<Sample> Generate(TaskInfo task, string split, int count)
    {
        // A fixed mix of seed, task and split (string.GetHashCode is randomised per process).
        string kind = Kind(task);
        int taskNumber = ShapesTasks.Names.ToList().IndexOf(kind);
        var random = new Random(unchecked(seed * 1_000_003 + taskNumber * 7_919 + (split == "train" ? 0 : 104_729)));
        var samples = new List<Sample>(count);
        for (int i = 0; i < count; i++)
        {
            var scene = ShapeScene.Draw(random, options.ImageSize);
            var (question, answer) = ShapesTasks.Ask(kind, scene);
            var image = new ModalityInput("image", Values: scene.Pixels, Shape: [3, options.ImageSize, options.ImageSize]);
            samples.Add(new Sample($"{kind}-{split}-{i}", task.Name, [image], Placeholders.Of(image.Modality) + "\n" + question, answer));
        }
        return samples;
    }
}
