using System.Text.RegularExpressions;
using Coin.Abstractions.Training;

namespace Coin.Engine.Results;

/// <summary>CoIN's main finding is that forgetting is mostly the instruction format collapsing: after Grounding, a
/// ScienceQA question is answered with a box. This measures it. Each task's answer format is read off its own
/// reference answers — an option letter, a box, a number, yes/no, or a closed vocabulary such as class names (at most
/// 100 distinct answers, each used twice on average: a small test set of free-text answers is not a vocabulary) — and
/// each generated answer is checked against every task's format.</summary>
public sealed class AnswerFormats
{
    private const int ClosedVocabularyLimit = 100;
    private static readonly Regex Letter = new(@"^\(?[A-Z]\)?\.?$");
    private static readonly Regex Box = new(@"^\[\s*-?[0-9.]+\s*(,\s*-?[0-9.]+\s*){3}\]$");
    private static readonly Regex Number = new(@"^-?[0-9]+([.,][0-9]+)?$");
    private readonly Dictionary<string, Func<string, bool>> formats = [];

    /// <summary>The format names, in the order given: a task with free-text answers has none (it is "free text").</summary>
    public IReadOnlyDictionary<string, string> FormatOf { get; }

    /// <param name="references">Each task's reference answers (its test set's).</param>
    public AnswerFormats(IReadOnlyList<(string Task, IReadOnlyList<string> Answers)> references)
    {
        var names = new Dictionary<string, string>();
        foreach (var (task, answers) in references)
        {
            var normal = answers.Select(Normalise).Where(a => a.Length > 0).ToList();
            if (normal.Count == 0) { names[task] = "free text"; continue; }
            (string Name, Func<string, bool> Test)? format =
                normal.All(a => Letter.IsMatch(a.ToUpperInvariant())) ? ("option letter", a => Letter.IsMatch(a.ToUpperInvariant()))
                : normal.All(Box.IsMatch) ? ("box", a => Box.IsMatch(a))
                : normal.All(a => a is "yes" or "no") ? ("yes/no", a => a is "yes" or "no")
                : normal.All(Number.IsMatch) ? ("number", a => Number.IsMatch(a))
                : normal.Distinct().Count() is var distinct && distinct <= ClosedVocabularyLimit && 2 * distinct <= normal.Count
                    ? ($"{task}'s vocabulary", Vocabulary(normal))
                : null;
            names[task] = format?.Name ?? "free text";
            if (format is { } f) formats[task] = f.Test;
        }
        FormatOf = names;
    }

    private static Func<string, bool> Vocabulary(IEnumerable<string> answers)
    {
        var set = answers.ToHashSet(StringComparer.Ordinal);
        return set.Contains;
    }

    /// <summary>Lower case, trimmed, without a final period (as CoIN's answer processing does).</summary>
    public static string Normalise(string answer) => answer.Trim().TrimEnd('.').Trim().ToLowerInvariant();

    /// <summary>For one task's answers at one stage: the share (%) in the task's own format, the share in another
    /// task's format and not its own (the collapse), and per other task the share in its format.</summary>
    public FormatShare Measure(string task, IReadOnlyList<string> outputs)
    {
        int n = Math.Max(1, outputs.Count);
        var normal = outputs.Select(Normalise).ToList();
        bool own(string a) => formats.TryGetValue(task, out var f) && f(a);
        var others = formats.Where(f => f.Key != task && FormatOf[f.Key] != FormatOf[task]).ToList();
        double inOwn = formats.ContainsKey(task) ? 100.0 * normal.Count(own) / n : double.NaN;
        double inOther = 100.0 * normal.Count(a => !own(a) && others.Any(o => o.Value(a))) / n;
        // Neither its own format nor any other task's: after Grounding, a letter question is answered with broken
        // box fragments ("0000,].050,]"), which is collapse too, of another kind.
        double inNone = formats.ContainsKey(task) ? 100.0 * normal.Count(a => !own(a) && !formats.Any(o => o.Key != task && o.Value(a))) / n : double.NaN;
        var byFormat = others.GroupBy(o => FormatOf[o.Key])
            .ToDictionary(g => g.Key, g => 100.0 * normal.Count(a => !own(a) && g.Any(o => o.Value(a))) / n);
        return new FormatShare(FormatOf[task], inOwn, inOther, inNone, byFormat);
    }

    /// <summary>Every task of one stage's predictions.</summary>
    public IReadOnlyList<FormatShare> MeasureStage(IReadOnlyList<string> tasks, IReadOnlyList<Prediction> predictions)
        => tasks.Select(t => Measure(t, predictions.Where(p => p.Sample.Task == t).Select(p => p.Output).ToList())).ToList();
}

/// <param name="Format">The task's own answer format.</param>
/// <param name="InOwnFormat">% of answers in it (NaN for a free-text task, which has no format to check).</param>
/// <param name="InOtherFormat">% of answers not in it but in another task's format: instruction-format collapse.</param>
/// <param name="InNoFormat">% of answers in no task's format at all (malformed; NaN for a free-text task).</param>
/// <param name="ByFormat">% of answers in each other format (not the task's own).</param>
public sealed record FormatShare(string Format, double InOwnFormat, double InOtherFormat, double InNoFormat, IReadOnlyDictionary<string, double> ByFormat);

/// <summary>One row of <see cref="RunResults.AnswerFormats"/>: after which stage, which task, and the shares.</summary>
public sealed record FormatEntry(string AfterTask, string Task, string Format, double InOwnFormat, double InOtherFormat, double InNoFormat,
    IReadOnlyDictionary<string, double> ByFormat);
