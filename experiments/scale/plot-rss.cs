#:package ScottPlot@5.1.59
// Resident memory against minutes since the first training step, one line per run (experiments/scale/run-sampled.sh).
// dotnet run experiments/scale/plot-rss.cs OUT.png "label=RUN.rss=HH:MM:SS" ...
using ScottPlot;
// plot.cs OUT.png LABEL=FILE.rss ... : resident memory (GiB) against minutes since the step started
var plot = new Plot();
foreach (var arg in args.Skip(1))
{
    var parts = arg.Split('=', 3); // label=file=start(HH:mm:ss)
    var rows = File.ReadAllLines(parts[1]).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .Where(f => f.Length >= 6).Select(f => (Time: TimeSpan.Parse(f[0]), Rss: double.Parse(f[5]) / 1048576.0)).ToList();
    var start = TimeSpan.Parse(parts[2]);
    rows = rows.Where(r => r.Time >= start - TimeSpan.FromMinutes(1)).ToList();
    var line = plot.Add.Scatter(rows.Select(r => (r.Time - start).TotalMinutes).ToArray(), rows.Select(r => r.Rss).ToArray());
    line.MarkerSize = 0; line.LegendText = parts[0];
}
var target = plot.Add.HorizontalLine(12); target.LinePattern = LinePattern.Dashed; target.LegendText = "target 12 GiB";
plot.XLabel("minutes since the first training step started");
plot.YLabel("resident memory (GiB)");
plot.Title("LLaVA-1.5-7B, NF4, LoRA r=128, checkpointing: resident memory");
plot.ShowLegend(Edge.Right);
plot.SavePng(args[0], 1100, 500);
