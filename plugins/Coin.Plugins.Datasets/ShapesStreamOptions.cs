using System.ComponentModel.DataAnnotations;

namespace Coin.Plugins.Datasets;

public sealed class ShapesStreamOptions : IValidatableObject
{
    /// <summary>Tasks and their order; accepted: color, shape, position.</summary>
    public List<string> Tasks { get; set; } = [.. ShapesTasks.Names];

    [Range(1, 1_000_000)] public int TrainPerTask { get; set; } = 768;
    [Range(1, 1_000_000)] public int TestPerTask { get; set; } = 96;
    [Range(16, 512)] public int ImageSize { get; set; } = 32;

    /// <summary>Seed of the generator; null uses the experiment's seed.</summary>
    public int? Seed { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var task in Tasks.Where(t => !ShapesTasks.Names.Contains(t)))
            yield return new ValidationResult($"unknown task '{task}'; accepted: {string.Join(", ", ShapesTasks.Names)}", [nameof(Tasks)]);
        if (Tasks.Count == 0) yield return new ValidationResult("at least one task is needed", [nameof(Tasks)]);
        if (Tasks.Distinct().Count() != Tasks.Count) yield return new ValidationResult("a task is listed twice", [nameof(Tasks)]);
    }
}
