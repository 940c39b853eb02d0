using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Engine.Results;
using static Coin.Host.Presentation.Html.HtmlPage;

namespace Coin.Host.Presentation.Html;

/// <summary>report.html beside report.md: the same tables, the accuracy matrix as a heatmap, the plots, and a browser
/// of every evaluation's answers (image or audio, question, reference, answer, verdict) filterable by stage, task and
/// verdict. One file that opens anywhere: images and data are inline.</summary>
public static class RunReportHtml
{
    public const string FileName = "report.html";

    /// <summary>Media files inlined into the page up to this many bytes in all; later ones are linked by their path
    /// (relative to the run folder), and the page says so.</summary>
    public const long MediaBudgetBytes = 16L << 20;

    public static string Render(string directory, RunResults results, IReadOnlyList<string> plots)
    {
        var page = new HtmlPage($"Run {results.Name}");
        page.Raw($"<p class=\"meta\">{E(results.Status)} · seed {results.Seed} · {E(results.Device)}, {results.Threads} threads · started {results.StartedUtc:u}" +
                 $"{(results.FinishedUtc is { } end ? $" · finished {end:u}" : "")} · experiment {E(results.Source)} · coin {E(results.Versions.Coin)}, contract {E(results.Versions.Contract)}</p>");
        page.Raw("<nav><a href=\"#matrix\">accuracy</a> · <a href=\"#metrics\">metrics</a> · <a href=\"#training\">training</a> · <a href=\"#plots\">plots</a> · <a href=\"#predictions\">answers</a> · <a href=\"#components\">components</a></nav>");

        page.Heading("Accuracy (%) after each task", "matrix");
        var rows = results.MatrixRows("(zero-shot)");
        if (rows.Count > 0) page.Heatmap(results.Tasks, rows);
        else page.Paragraph("No task has been evaluated yet.");

        if (results.Metrics is { } m)
        {
            page.Heading("Continual metrics (%)", "metrics");
            page.Table(["ACC", "MAA", "BWT", "forgetting", "plasticity", "FWT"],
                [[F(m.FinalAverageAccuracy), F(m.MeanAverageAccuracy), F(m.BackwardTransfer), F(m.Forgetting), F(m.Plasticity), m.ForwardTransfer is { } fwt ? F(fwt) : "n/a"]]);
        }

        page.Heading("Training", "training");
        page.Table(["task", "samples", "steps", "first loss", "final loss", "train s", "eval s"],
            results.Training.Select(t => (IReadOnlyList<string>)[t.Task, $"{t.Samples}", $"{t.Steps}", N(t.FirstLoss, "F3"), N(t.FinalLoss, "F3"), N(t.TrainSeconds, "F1"), N(t.EvalSeconds, "F1")]));

        page.Heading("Plots", "plots");
        foreach (string plot in plots.Where(p => !p.EndsWith("accuracy-matrix.png", StringComparison.Ordinal)))
            page.Image(plot, Path.GetFileNameWithoutExtension(plot));

        page.Heading("Answers", "predictions");
        var (data, note) = Predictions(directory, results);
        if (note is not null) page.Paragraph(note);
        page.Raw("""
            <div class="filters">
              <label>stage <select id="filter-stage"></select></label>
              <label>task <select id="filter-task"></select></label>
              <label>verdict <select id="filter-verdict"><option value="">all</option><option>right</option><option>wrong</option><option>partial</option><option>unscored</option></select></label>
              <label>search <input id="filter-text" type="search" placeholder="question, reference or answer"></label>
              <span id="prediction-count"></span>
            </div>
            <div id="prediction-list"></div>
            <button id="prediction-more" hidden>show more</button>
            """);
        page.Data("coin-predictions", data);

        page.Heading("Components", "components");
        page.Table(["key", "kind", "plugin", "version"], results.Components.Select(c => (IReadOnlyList<string>)[c.Key, c.Kind, c.Name, c.Version]));
        return page.Render("report.js");
    }

    private static string N(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>The prediction files of the run's stages (zero-shot, then after each task), each sample once with its
    /// media, each stage as (sample, answer, score) rows.</summary>
    private static (object Data, string? Note) Predictions(string directory, RunResults results)
    {
        var stages = new List<string>();
        string folder = Path.Combine(directory, PredictionFile.Folder);
        if (File.Exists(Path.Combine(folder, PredictionFile.ZeroShotStage + ".jsonl"))) stages.Add(PredictionFile.ZeroShotStage);
        stages.AddRange(results.Tasks.Select((t, i) => PredictionFile.AfterTaskStage(i, t)).Where(s => File.Exists(Path.Combine(folder, s + ".jsonl"))));

        var samples = new List<object>();
        var sampleIndex = new Dictionary<(string, string), int>();
        var media = new List<object>();
        var mediaIndex = new Dictionary<string, int>();
        long inlined = 0;
        int linked = 0;
        var byStage = new Dictionary<string, List<object?[]>>();
        foreach (string stage in stages)
        {
            var answers = new List<object?[]>();
            foreach (string line in File.ReadLines(Path.Combine(folder, stage + ".jsonl")))
            {
                if (line.Length == 0) continue;
                var row = JsonNode.Parse(line)!;
                string task = (string)row["task"]!, id = (string)row["question_id"]!;
                if (!sampleIndex.TryGetValue((task, id), out int index))
                {
                    var inputs = new List<int>();
                    foreach (var input in row["inputs"]?.AsArray() ?? [])
                    {
                        string path = (string)input!;
                        if (!mediaIndex.TryGetValue(path, out int m))
                        {
                            mediaIndex[path] = m = media.Count;
                            media.Add(Media(path, directory, ref inlined, ref linked));
                        }
                        inputs.Add(m);
                    }
                    sampleIndex[(task, id)] = index = samples.Count;
                    samples.Add(new { task, id, inputs, question = (string?)row["question"], answer = (string?)row["answer"] });
                }
                answers.Add([index, (string?)row["prediction"], row["score"]?.GetValue<double>()]);
            }
            byStage[stage] = answers;
        }
        string? note = stages.Count == 0 ? "No prediction files in this run folder." : null;
        if (linked > 0) note = $"{linked} media files beyond the {MediaBudgetBytes >> 20} MiB inlined are linked by their path: they show while the files stay where they are.";
        return (new { tasks = results.Tasks, stages, samples, media, predictions = byStage }, note);
    }

    private static object Media(string path, string directory, ref long inlined, ref int linked)
    {
        string kind = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".png" or ".jpg" or ".jpeg" or ".gif" or ".webp" or ".bmp" => "image",
            ".wav" or ".flac" or ".mp3" or ".ogg" => "audio",
            _ => "other",
        };
        if (kind == "other" || !File.Exists(path)) return new { kind, label = path };
        var info = new FileInfo(path);
        if (inlined + info.Length > MediaBudgetBytes)
        {
            linked++;
            return new { kind, src = Path.GetRelativePath(directory, path).Replace('\\', '/'), label = path };
        }
        inlined += info.Length;
        string mime = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".png" => "image/png", ".jpg" or ".jpeg" => "image/jpeg", ".gif" => "image/gif", ".webp" => "image/webp", ".bmp" => "image/bmp",
            ".wav" => "audio/wav", ".flac" => "audio/flac", ".mp3" => "audio/mpeg", _ => "audio/ogg",
        };
        return new { kind, src = $"data:{mime};base64,{Convert.ToBase64String(File.ReadAllBytes(path))}", label = Path.GetFileName(path) };
    }
}
