using System.Globalization;
using System.Text;
using Coin.Engine.Results;

namespace Coin.Host.Presentation;

/// <summary>report.md: what ran, the accuracy matrix, the continual metrics and the time per task, for reading in a
/// browser or a pull request.</summary>
public static class RunReport
{
    public static string Markdown(RunResults results, IReadOnlyList<string> plots)
    {
        string F(double value) => value.ToString("F1", CultureInfo.InvariantCulture);
        var md = new StringBuilder();
        md.AppendLine($"# Run `{results.Name}`").AppendLine();
        md.AppendLine($"- experiment: {results.Source}");
        md.AppendLine($"- status: {results.Status}; started {results.StartedUtc:u}{(results.FinishedUtc is { } end ? $", finished {end:u}" : "")}");
        md.AppendLine($"- seed {results.Seed}, device {results.Device}, {results.Threads} threads; evaluated {results.EvaluationProtocol}");
        md.AppendLine($"- coin {results.Versions.Coin}, contract {results.Versions.Contract}, TorchSharp {results.Versions.TorchSharp} ({results.Versions.TorchBackend})").AppendLine();

        md.AppendLine("## Components").AppendLine().AppendLine("| key | kind | plugin | version |").AppendLine("|---|---|---|---|");
        foreach (var c in results.Components) md.AppendLine($"| {c.Key} | {c.Kind} | {c.Name} | {c.Version} |");
        md.AppendLine();

        md.AppendLine("## Accuracy (%) after each task").AppendLine();
        md.AppendLine("| after training | " + string.Join(" | ", results.Tasks) + " |");
        md.AppendLine("|---|" + string.Concat(results.Tasks.Select(_ => "---:|")));
        if (results.ZeroShot is { } zero) md.AppendLine("| (zero-shot) | " + string.Join(" | ", zero.Select(F)) + " |");
        for (int t = 0; t < results.AccuracyMatrix.Count; t++)
            md.AppendLine($"| {results.Tasks[t]} | " + string.Join(" | ", results.AccuracyMatrix[t].Select(F)) + " |");
        md.AppendLine();

        if (results.Metrics is { } m)
        {
            md.AppendLine("## Continual metrics (%)").AppendLine().AppendLine("| ACC | MAA | BWT | forgetting | plasticity | FWT |").AppendLine("|---:|---:|---:|---:|---:|---:|");
            md.AppendLine($"| {F(m.FinalAverageAccuracy)} | {F(m.MeanAverageAccuracy)} | {F(m.BackwardTransfer)} | {F(m.Forgetting)} | {F(m.Plasticity)} | {(m.ForwardTransfer is { } fwt ? F(fwt) : "n/a")} |").AppendLine();
        }

        // Further metrics of the evaluator (contract 2.0), one matrix each, like the primary one.
        foreach (string metric in results.Scores.Where(e => e.Others is not null).SelectMany(e => e.Others!.Keys).Distinct())
        {
            md.AppendLine($"## {metric} after each task").AppendLine();
            md.AppendLine("| after training | " + string.Join(" | ", results.Tasks) + " |");
            md.AppendLine("|---|" + string.Concat(results.Tasks.Select(_ => "---:|")));
            foreach (var stage in results.Scores.GroupBy(e => e.AfterTask))
            {
                var byTask = stage.GroupBy(e => e.Task).ToDictionary(g => g.Key, g => g.Last());
                md.AppendLine($"| {stage.Key} | " + string.Join(" | ", results.Tasks.Select(t =>
                    byTask.TryGetValue(t, out var e) && e.Others?.TryGetValue(metric, out double v) == true ? F(v) : "–")) + " |");
            }
            md.AppendLine();
        }

        if (results.AnswerFormats.Count > 0)
        {
            // CoIN's finding, measured: forgetting as answers in the wrong task's format.
            var formatOf = results.AnswerFormats.GroupBy(f => f.Task).ToDictionary(g => g.Key, g => g.First().Format);
            md.AppendLine("## Answers out of their task's format (%)").AppendLine();
            md.AppendLine("Each task's format is read off its reference answers: " +
                          string.Join("; ", results.Tasks.Where(formatOf.ContainsKey).Select(t => $"{t}: {formatOf[t]}")) + ". " +
                          "Each cell: answers in another task's format / in no task's format (malformed).").AppendLine();
            md.AppendLine("| after training | " + string.Join(" | ", results.Tasks) + " |");
            md.AppendLine("|---|" + string.Concat(results.Tasks.Select(_ => "---:|")));
            foreach (var stage in results.AnswerFormats.GroupBy(f => f.AfterTask))
            {
                var byTask = stage.ToDictionary(f => f.Task);
                md.AppendLine($"| {stage.Key} | " + string.Join(" | ", results.Tasks.Select(t => byTask.TryGetValue(t, out var f)
                    ? $"{F(f.InOtherFormat)} / {(double.IsNaN(f.InNoFormat) ? "–" : F(f.InNoFormat))}" : "")) + " |");
            }
            md.AppendLine();
        }

        md.AppendLine("## Training").AppendLine().AppendLine("| task | samples | steps | first loss | final loss | train s | eval s |").AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var t in results.Training)
            md.AppendLine($"| {t.Task} | {t.Samples} | {t.Steps} | {t.FirstLoss:F3} | {t.FinalLoss:F3} | {t.TrainSeconds:F1} | {t.EvalSeconds:F1} |");
        md.AppendLine();
        if (results.FinishedUtc is { } finished)
        {
            // The whole run, not only its tasks: data generation, the base model, the zero-shot row and the report are
            // minutes of a first run.
            double total = (finished - results.StartedUtc).TotalSeconds;
            // A base model from the cache cost this run only its loading (in "the rest"); its Seconds are the training
            // time of the run that made it.
            double baseModel = results.BaseModel is { Origin: "trained" } trained ? trained.Seconds : 0;
            double train = results.Training.Sum(t => t.TrainSeconds), eval = results.Training.Sum(t => t.EvalSeconds);
            md.AppendLine("## Time").AppendLine().AppendLine("| stage | seconds |").AppendLine("|---|---:|");
            md.AppendLine(results.BaseModel switch
            {
                null => "| base model (none) | 0.0 |",
                { Origin: "trained" } => $"| base model, trained | {F(baseModel)} |",
                var cached => $"| base model, from the cache (trained in {F(cached.Seconds)} s by an earlier run) | 0.0 |",
            });
            md.AppendLine($"| training the tasks | {F(train)} |");
            md.AppendLine($"| evaluating after each task | {F(eval)} |");
            md.AppendLine($"| the rest: data, start-up, zero-shot evaluation, checkpoints, report | {F(Math.Max(0, total - baseModel - train - eval))} |");
            md.AppendLine($"| **the whole run**, start to finish | **{F(total)}** |").AppendLine();
            md.AppendLine("A resumed run's whole time includes the time it was stopped.").AppendLine();
        }
        if (plots.Count > 0)
        {
            md.AppendLine("## Plots").AppendLine();
            foreach (string plot in plots) md.AppendLine($"![{Path.GetFileNameWithoutExtension(plot)}]({Path.GetFileName(plot)})");
        }
        return md.ToString();
    }
}
