using System.ComponentModel.DataAnnotations;

namespace Coin.Plugins.Datasets;

internal sealed class ShapesStreamOptions : IValidatableObject
{
    /// <summary>Tasks and their order; accepted: color, shape, position.</summary>
    public List<string> Tasks { get; set; } = [.. ShapesTasks.Names];

    [Range(1, 1_000_000)] public int TrainPerTask { get; set; } = 768;
    [Range(1, 1_000_000)] public int TestPerTask { get; set; } = 96;
    [Range(16, 512)] public int ImageSize { get; set; } = 32;

    /// <summary>Names shown for the tasks (task → name) in results, reports and CSV files; any text, commas and quotes
    /// included. Unnamed tasks keep their own name.</summary>
    public Dictionary<string, string> Names { get; set; } = [];

    /// <summary>Seed of the generator; null uses the experiment's seed.</summary>
    public int? Seed { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var task in Tasks.Where(t => !ShapesTasks.Names.Contains(t)))
            yield return new ValidationResult($"unknown task '{task}'; accepted: {string.Join(", ", ShapesTasks.Names)}", [nameof(Tasks)]);
        if (Tasks.Count == 0) yield return new ValidationResult("at least one task is needed", [nameof(Tasks)]);
        if (Tasks.Distinct().Count() != Tasks.Count) yield return new ValidationResult("a task is listed twice", [nameof(Tasks)]);
        foreach (var task in Names.Keys.Where(t => !Tasks.Contains(t)))
            yield return new ValidationResult($"names: '{task}' is not one of the tasks ({string.Join(", ", Tasks)})", [nameof(Names)]);
        var shown = Tasks.Select(t => Names.GetValueOrDefault(t, t)).ToList();
        if (shown.Distinct().Count() != shown.Count || shown.Any(string.IsNullOrWhiteSpace))
            yield return new ValidationResult("names: every task needs its own, non-empty name", [nameof(Names)]);
    }
}
