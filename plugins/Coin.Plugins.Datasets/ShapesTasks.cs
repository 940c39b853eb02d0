namespace Coin.Plugins.Datasets;

/// <summary>The questions of the shapes stream. Each task asks about a different property of the same kind of
/// image, with its own instruction on the last line, as CoIN's tasks do.</summary>
internal static class ShapesTasks
{
    public static readonly IReadOnlyList<string> Names = ["color", "shape", "position"];

    public static (string Question, string Answer) Ask(string task, ShapeScene scene) => task switch
    {
        "color" => ("What color is the shape?\nAnswer the question using a single word or phrase.", scene.Color),
        "shape" => ("Which shape is shown?\nAnswer the question using a single word or phrase.", scene.Shape),
        "position" => ("Is the shape on the left or on the right?\nAnswer with left or right.", scene.Side),
        _ => throw new ArgumentException($"unknown task '{task}'"),
    };
}
