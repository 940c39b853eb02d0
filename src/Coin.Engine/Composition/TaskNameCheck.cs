using System.Collections;
using System.Reflection;
using Coin.Abstractions.Plugins;

namespace Coin.Engine.Composition;

/// <summary>Options marked <see cref="TaskNamesAttribute"/> must name tasks the stream has: checked as soon as the task
/// stream is known, before any model is built, for every component of the plan.</summary>
public static class TaskNameCheck
{
    public static void Require(CompositionPlan plan, IReadOnlyCollection<string> tasks)
    {
        // The data sources name the tasks; the base model's source names its own, not the stream's.
        var problems = plan.All().Where(c => !ReferenceEquals(c, plan.Data) && !plan.PretrainingData.Contains(c))
            .SelectMany(c => Problems(c.Options, $"{c.KeyPath}.options", tasks, depth: 0)).ToList();
        if (problems.Count > 0)
            throw new CoinUserException(string.Join(Environment.NewLine, problems));
    }

    private static IEnumerable<string> Problems(object? options, string path, IReadOnlyCollection<string> tasks, int depth)
    {
        if (options is null || depth > 4) yield break;
        foreach (var property in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
        {
            var value = property.GetValue(options);
            string key = $"{path}.{char.ToLowerInvariant(property.Name[0])}{property.Name[1..]}";
            if (property.GetCustomAttribute<TaskNamesAttribute>() is not null)
            {
                var names = value switch { string one => one.Length == 0 ? [] : [one], IEnumerable many => many.OfType<string>(), _ => [] };
                foreach (string name in names.Where(n => !tasks.Contains(n)))
                    yield return $"{key}: '{name}' is not a task of the stream; its tasks: {string.Join(", ", tasks)}";
            }
            else if (value is not null && property.PropertyType.IsClass && property.PropertyType != typeof(string) && value is not IEnumerable
                     && property.PropertyType.Namespace?.StartsWith("System", StringComparison.Ordinal) != true)
                foreach (string problem in Problems(value, key, tasks, depth + 1)) yield return problem;
        }
    }
}
