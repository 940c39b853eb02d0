using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;

namespace Coin.Host.Presentation.Html;

/// <summary>A self-contained HTML page (styles, scripts, images and data inline; nothing fetched from a network): the
/// pieces report.html and comparison.html are made of.</summary>
public sealed class HtmlPage(string title)
{
    private readonly StringBuilder body = new();

    private static readonly System.Text.Json.JsonSerializerOptions DataJson = new()
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    public static string F(double value) => double.IsNaN(value) ? "–" : value.ToString("F1", CultureInfo.InvariantCulture);

    public HtmlPage Raw(string html)
    {
        body.Append(html).Append('\n');
        return this;
    }

    public HtmlPage Heading(string text, string? id = null) => Raw($"<h2{(id is null ? "" : $" id=\"{id}\"")}>{E(text)}</h2>");

    public HtmlPage Paragraph(string text) => Raw($"<p>{E(text)}</p>");

    /// <summary>A table of text cells; numeric cells (those that parse as numbers) are right-aligned.</summary>
    public HtmlPage Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, string? id = null)
    {
        var html = new StringBuilder($"<table{(id is null ? "" : $" id=\"{id}\"")}><thead><tr>");
        foreach (string h in header) html.Append($"<th>{E(h)}</th>");
        html.Append("</tr></thead><tbody>");
        foreach (var row in rows)
        {
            html.Append("<tr>");
            foreach (string cell in row)
                html.Append(IsNumber(cell) ? $"<td class=\"num\">{E(cell)}</td>" : $"<td>{E(cell)}</td>");
            html.Append("</tr>");
        }
        return Raw(html.Append("</tbody></table>").ToString());
    }

    /// <summary>An accuracy matrix as a heatmap table: rows are stages, columns tasks, each cell coloured by its value
    /// (0–100, the viridis scale of the PNG plots).</summary>
    public HtmlPage Heatmap(IReadOnlyList<string> tasks, IEnumerable<(string Stage, double[] Values)> rows, string cssClass = "matrix")
    {
        var html = new StringBuilder($"<table class=\"{cssClass}\"><thead><tr><th>after training</th>");
        foreach (string t in tasks) html.Append($"<th>{E(t)}</th>");
        html.Append("</tr></thead><tbody>");
        foreach (var (stage, values) in rows)
        {
            html.Append($"<tr><th>{E(stage)}</th>");
            foreach (double v in values)
            {
                var (background, foreground) = Viridis(v);
                html.Append($"<td class=\"num\" style=\"background:{background};color:{foreground}\">{F(v)}</td>");
            }
            html.Append("</tr>");
        }
        return Raw(html.Append("</tbody></table>").ToString());
    }

    /// <summary>A PNG file inline (a data URI), or nothing when the file is missing.</summary>
    /// <param name="wide">Shown at the page's width (a plot with a column per method), not at the 560 px a run's plots take.</param>
    public HtmlPage Image(string path, string alt, bool wide = false)
        => File.Exists(path) ? Raw($"<figure{(wide ? " class=\"wide\"" : "")}><img alt=\"{E(alt)}\" src=\"data:image/png;base64,{Convert.ToBase64String(File.ReadAllBytes(path))}\"><figcaption>{E(alt)}</figcaption></figure>") : this;

    /// <summary>Data for the page's script, as JSON inside a non-executed script element (the serializer's default
    /// encoder escapes &lt; and &gt;, so no text in it can close the element).</summary>
    public HtmlPage Data(string id, object value)
        => Raw($"<script type=\"application/json\" id=\"{id}\">{System.Text.Json.JsonSerializer.Serialize(value, DataJson)}</script>");

    /// <summary>The whole document. <paramref name="script"/> names an embedded script (report.js) run after the body.</summary>
    public string Render(string? script = null)
    {
        var html = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.Append($"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{E(title)}</title>");
        html.Append($"<style>{Resource("report.css")}</style>");
        // First, so an error anywhere later (also in the report's own script) is shown on the page, and a headless
        // browser test can read it from the DOM.
        html.Append("<script>window.addEventListener('error', function (e) { var p = document.getElementById('script-errors');" +
                    " if (p) { p.hidden = false; p.textContent += (e.message || 'error') + '\\n'; } });</script>");
        html.Append("</head><body>\n<pre id=\"script-errors\" hidden></pre>\n");
        html.Append($"<h1>{E(title)}</h1>\n").Append(body);
        if (script is not null) html.Append($"<script>{Resource(script)}</script>");
        return html.Append("\n</body></html>\n").ToString();
    }

    private static string Resource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Coin.Host.Presentation.Html.{name}")
                           ?? throw new InvalidOperationException($"embedded resource {name} is missing from the host");
        return new StreamReader(stream).ReadToEnd();
    }

    private static bool IsNumber(string cell)
        => cell.Length > 0 && (double.TryParse(cell.Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out _) || cell == "–");

    // Five stops of matplotlib's viridis; linear in between.
    private static readonly (double R, double G, double B)[] Stops =
        [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)];

    private static (string Background, string Foreground) Viridis(double value)
    {
        if (double.IsNaN(value)) return ("#eee", "#000");
        double x = Math.Clamp(value / 100, 0, 1) * (Stops.Length - 1);
        int i = Math.Min((int)x, Stops.Length - 2);
        double f = x - i;
        var (a, b) = (Stops[i], Stops[i + 1]);
        string hex = $"#{(int)(a.R + f * (b.R - a.R)):x2}{(int)(a.G + f * (b.G - a.G)):x2}{(int)(a.B + f * (b.B - a.B)):x2}";
        return (hex, value > 60 ? "#000" : "#fff");
    }
}
