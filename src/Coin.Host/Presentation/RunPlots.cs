using Coin.Engine.Results;
using Coin.Engine.Running;
using ScottPlot;

namespace Coin.Host.Presentation;

/// <summary>PNG plots of a run: the accuracy matrix as a heatmap, each task's accuracy across stages, the training
/// loss, and every other scalar a plugin logged (e.g. LLaCA's alpha), one file each.</summary>
public static class RunPlots
{
    private static readonly ScottPlot.Palettes.Category10 Palette = new();

    public static IReadOnlyList<string> Write(string folder, RunResults results, StepLog log)
    {
        var written = new List<string>();
        void Save(Plot plot, string name, int width = 900, int height = 500)
        {
            string path = Path.Combine(folder, name);
            string temporary = path + ".tmp.png";
            plot.SavePng(temporary, width, height);
            File.Move(temporary, path, overwrite: true);
            written.Add(path);
        }

        if (results.AccuracyMatrix.Count > 0)
        {
            Save(Heatmap(results), "accuracy-matrix.png", Math.Max(520, 220 + 90 * results.Tasks.Count), 160 + 60 * Stages(results).Count);
            Save(AccuracyByTask(results), "accuracy-by-task.png");
        }
        // The base model's first stage has its own step axis: its rows get their own plots (pretrain-*.png) instead of
        // being drawn over the stream's first steps.
        var stream = log.Rows.Where(r => !BaseStageRows.IsBaseStage(r.Task)).ToList();
        var firstStage = log.Rows.Where(r => BaseStageRows.IsBaseStage(r.Task)).ToList();
        foreach (string name in stream.Select(r => r.Name).Distinct().Where(n => !n.StartsWith("lr/", StringComparison.Ordinal)))
            Save(Series(stream, name, results.Tasks), $"{name.Replace('/', '-')}.png");
        if (firstStage.Any(r => r.Name == "loss"))
            Save(Series(firstStage, "loss", [BaseStageRows.TaskName, BaseStageRows.InstructionTaskName]), "pretrain-loss.png");
        return written;
    }

    private static List<(string Label, double[] Accuracy)> Stages(RunResults results) => results.MatrixRows("zero-shot");

    private static Plot Heatmap(RunResults results)
    {
        var plot = new Plot();
        var stages = Stages(results);
        int rows = stages.Count, columns = results.Tasks.Count;
        var values = new double[rows, columns];
        for (int t = 0; t < rows; t++) for (int i = 0; i < columns; i++) values[t, i] = stages[t].Accuracy[i];
        var heatmap = plot.Add.Heatmap(values);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.ManualRange = new ScottPlot.Range(0, 100);
        plot.Add.ColorBar(heatmap);
        for (int t = 0; t < rows; t++)
            for (int i = 0; i < columns; i++)
            {
                var label = plot.Add.Text(values[t, i].ToString("F0"), i, rows - 1 - t);
                label.LabelFontColor = values[t, i] > 60 ? Colors.Black : Colors.White;
                label.LabelAlignment = Alignment.MiddleCenter;
            }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, columns).Select(i => (double)i).ToArray(), [.. results.Tasks]);
        plot.Axes.Left.SetTicks(Enumerable.Range(0, rows).Select(t => (double)(rows - 1 - t)).ToArray(), stages.Select(s => s.Label).ToArray());
        plot.Title(results.ZeroShot is null ? "Accuracy (%): rows = after training, columns = task"
                                            : "Accuracy (%): rows = before any task, then after training; columns = task");
        return plot;
    }

    private static Plot AccuracyByTask(RunResults results)
    {
        var plot = new Plot();
        var rows = Stages(results);
        double[] stages = Enumerable.Range(0, rows.Count).Select(s => (double)s).ToArray();
        for (int i = 0; i < results.Tasks.Count; i++)
        {
            var line = plot.Add.Scatter(stages, rows.Select(row => row.Accuracy[i]).ToArray());
            line.LegendText = results.Tasks[i];
        }
        plot.Axes.Bottom.SetTicks(stages, rows.Select(r => r.Label).ToArray());
        plot.Axes.SetLimitsY(-2, 102);
        plot.XLabel(results.ZeroShot is null ? "after training" : "before any task (zero-shot), then after training");
        plot.YLabel("accuracy (%)");
        plot.ShowLegend(Edge.Right);
        plot.Title("Each task's accuracy across the stream");
        return plot;
    }

    private static Plot Series(IReadOnlyList<(string Task, long Step, string Name, double Value)> rows, string name, IReadOnlyList<string> tasks)
    {
        var plot = new Plot();
        foreach (var task in rows.Where(r => r.Name == name).GroupBy(r => r.Task))
        {
            var line = plot.Add.Scatter(task.Select(s => (double)s.Step).ToArray(), task.Select(s => s.Value).ToArray());
            line.MarkerSize = 0;
            line.LegendText = task.Key;
            // A task's colour is its place in the stream, so it is the same in every run's plots (and in a partial run).
            int index = tasks.ToList().IndexOf(task.Key);
            if (index >= 0) line.Color = Palette.GetColor(index);
        }
        plot.XLabel("optimiser step");
        plot.YLabel(name);
        plot.ShowLegend(Edge.Right);
        plot.Title(name);
        return plot;
    }
}
