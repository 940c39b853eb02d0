using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Coin.Tests.Support;

namespace Coin.Tests.EndToEnd;

/// <summary>report.html and comparison.html: self-contained pages whose data agree with results.json, rendered by a
/// real browser without script errors, showing the accuracy matrix and the answers with their verdicts.</summary>
[Parallelizable(ParallelScope.Self)]
public partial class HtmlReportTests
{
    private string directory = "", run = "";

    [OneTimeSetUp]
    public void RunOnce()
    {
        directory = TestPaths.NewTemporaryDirectory("html-report");
        string experiment = CoinProcess.WriteQuickExperiment(directory, json => json["evaluation"]!["zeroShot"] = true);
        var result = CoinProcess.Run(directory, "run", experiment);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        run = Directory.GetDirectories(Path.Combine(directory, "runs")).Single();
    }

    private static JsonNode EmbeddedData(string html)
    {
        var match = DataElement().Match(html);
        Assert.That(match.Success, "report.html embeds its answers as JSON");
        return JsonNode.Parse(match.Groups[1].Value)!;
    }

    [Test]
    public void The_page_is_self_contained_and_its_answers_agree_with_the_results()
    {
        string html = File.ReadAllText(Path.Combine(run, "report.html"));
        Assert.That(html, Does.Not.Match("(src|href)=\"https?://"), "nothing fetched from a network");
        var data = EmbeddedData(html);
        Assert.That(data["stages"]!.AsArray().Select(s => (string)s!), Is.EqualTo(new[] { "zero-shot", "after-01-color", "after-02-position" }));
        Assert.That(data["samples"]!.AsArray(), Has.Count.EqualTo(32), "16 test samples per task, each once");
        // The shapes stream draws its images in memory: nothing to show but the label.
        Assert.That(data["media"]!.AsArray().Select(m => (string)m!["label"]!), Is.EqualTo(new[] { "(image in memory)" }));

        // Each answer's verdict (exact match scores each answer) averages to the task's score in results.json.
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "results.json")))!;
        var samples = data["samples"]!.AsArray();
        foreach (var score in results["scores"]!.AsArray().Where(s => (string)s!["afterTask"]! == "position"))
        {
            var rows = data["predictions"]!["after-02-position"]!.AsArray()
                .Where(r => (string)samples[(int)r![0]!]!["task"]! == (string)score!["task"]!).ToList();
            Assert.That(rows.Select(r => (double)r![2]!), Has.All.EqualTo(0).Or.EqualTo(100));
            Assert.That(rows.Average(r => (double)r![2]!), Is.EqualTo((double)score!["accuracy"]!).Within(1e-9), (string)score["task"]!);
        }
        // The prediction files carry the same per-answer scores.
        Assert.That(File.ReadLines(Path.Combine(run, "predictions", "after-02-position.jsonl")).Select(l => JsonNode.Parse(l)!["score"]),
            Has.All.Not.Null);
    }

    [Test]
    public void A_browser_renders_the_run_report_without_script_errors()
    {
        HeadlessChromium.Require();
        string page = Path.Combine(run, "report.html");
        string dom = HeadlessChromium.DumpDom(page);
        Assert.That(dom, Does.Contain("data-ready=\"true\""), "the page's script ran to its end");
        Assert.That(dom, Does.Contain("<pre id=\"script-errors\" hidden=\"\"></pre>"), "no script error was reported");
        var matrix = MatrixTable().Match(dom);
        Assert.That(matrix.Success, "the accuracy matrix is on the page");
        Assert.That(Regex.Matches(matrix.Value, "<tr>").Count, Is.EqualTo(4), "header, zero-shot and one row per task");
        // The last stage is shown first: all 32 answers of it, each with its verdict.
        Assert.That(Regex.Matches(dom, "class=\"answer (right|wrong)\"").Count, Is.EqualTo(32));
        Assert.That(dom, Does.Match(@"id=""prediction-count"">32 of 32 answers, \d+ right<"));
        HeadlessChromium.Screenshot(page, Path.Combine(directory, "report.png"));
        Assert.That(new FileInfo(Path.Combine(directory, "report.png")).Length, Is.GreaterThan(10_000));
    }

    [Test]
    public void Image_and_audio_files_are_inlined_and_shown_with_their_answers()
    {
        HeadlessChromium.Require();
        // The run's folder again, its answers pointing at an image file and a sound file.
        string copy = Path.Combine(directory, "with-media");
        TestPaths.CopyDirectory(run, copy);
        string png = Path.Combine(directory, "red.png"), wav = Path.Combine(directory, "tone.wav");
        File.WriteAllBytes(png, Convert.FromBase64String(OnePixelPng));
        Coin.Nn.Audio.WavFile.WritePcm16(wav, Enumerable.Range(0, 1600).Select(i => (float)Math.Sin(i * 0.2)).ToArray(), 16000);
        foreach (string stage in Directory.GetFiles(Path.Combine(copy, "predictions"), "*.jsonl"))
        {
            var lines = File.ReadAllLines(stage).Select((line, i) =>
            {
                var row = JsonNode.Parse(line)!;
                row["inputs"] = new JsonArray(i % 2 == 0 ? png : wav);
                return row.ToJsonString();
            }).ToList();
            File.WriteAllLines(stage, lines);
        }
        Assert.That(CoinProcess.Run(directory, "report", copy).ExitCode, Is.EqualTo(0));

        string dom = HeadlessChromium.DumpDom(Path.Combine(copy, "report.html"));
        Assert.That(dom, Does.Contain("<pre id=\"script-errors\" hidden=\"\"></pre>"));
        Assert.That(Regex.Matches(dom, "<img src=\"data:image/png;base64,").Count, Is.EqualTo(16));
        Assert.That(Regex.Matches(dom, "<audio controls=\"\" src=\"data:audio/wav;base64,").Count, Is.EqualTo(16));
        var data = EmbeddedData(File.ReadAllText(Path.Combine(copy, "report.html")));
        Assert.That(data["media"]!.AsArray().Count, Is.EqualTo(2), "each file once, however many answers use it");
    }

    private const string OnePixelPng = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";

    [Test]
    public void Compare_writes_a_comparison_page_a_browser_renders()
    {
        HeadlessChromium.Require();
        string plot = Path.Combine(directory, "comparison", "cmp.png");
        Directory.CreateDirectory(Path.GetDirectoryName(plot)!);
        var result = CoinProcess.Run(directory, "compare", run, "--plot", plot);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        string page = Path.Combine(directory, "comparison", "comparison.html");
        string dom = HeadlessChromium.DumpDom(page);
        Assert.That(dom, Does.Contain("<pre id=\"script-errors\" hidden=\"\"></pre>"));
        Assert.That(dom, Does.Match("id=\"methods-table\".*<td>quick</td>"));
        Assert.That(dom, Does.Contain("href=\"../runs/" + Path.GetFileName(run) + "/report.html\""), "a link to the run's own page");
        Assert.That(MatrixTable().IsMatch(dom), "the method's accuracy matrix");
        Assert.That(dom, Does.Contain("<figure class=\"wide\"><img alt=\"cmp\""), "the plot at the page's width, not a thumbnail");
    }

    [Test]
    public void The_accuracy_matrix_plot_has_the_zero_shot_row_the_page_has()
    {
        // PNG: the height is the big-endian int at bytes 20-23 (IHDR); 160 px plus 60 per row of the heatmap.
        static int Height(string png) => System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(File.ReadAllBytes(png).AsSpan(20, 4));
        Assert.That(Height(Path.Combine(run, "accuracy-matrix.png")), Is.EqualTo(160 + 60 * 3), "zero-shot, then one row per task");
    }

    [GeneratedRegex("<script type=\"application/json\" id=\"coin-predictions\">(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex DataElement();

    [GeneratedRegex("<table class=\"matrix\">.*?</table>", RegexOptions.Singleline)]
    private static partial Regex MatrixTable();
}
