using System.Diagnostics;
using System.Text.RegularExpressions;
using Coin.Tests.Support;

namespace Coin.Tests.Build;

/// <summary>The documentation site builds with DocFX, warnings as errors (a broken link or a missing reference fails
/// it), and a browser renders its pages: a guide page, the results page with the plots it reads from results/, and the
/// API reference of a contract.</summary>
[Parallelizable(ParallelScope.Self)] // a docfx process and chromium: nothing shared with the in-process tests
public class DocsSiteTests
{
    [Test]
    public void The_docs_site_builds_without_warnings_and_a_browser_renders_it()
    {
        string site = TestPaths.NewTemporaryDirectory("docs-site");
        var start = new ProcessStartInfo("bash", [Path.Combine(TestPaths.Root, "docs", "build.sh"), site])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = TestPaths.Root,
        };
        using (var build = Process.Start(start)!)
        {
            var output = build.StandardOutput.ReadToEndAsync();
            var error = build.StandardError.ReadToEndAsync();
            Assert.That(build.WaitForExit(TimeSpan.FromMinutes(5)), "docfx finished within 5 minutes");
            Assert.That(build.ExitCode, Is.EqualTo(0), $"docs/build.sh failed (a warning is an error):\n{output.Result}\n{error.Result}");
        }

        string results = Path.Combine(site, "results", "README.html");
        foreach (var image in Regex.Matches(File.ReadAllText(results), "<img src=\"([^\"]+)\"").Select(m => m.Groups[1].Value))
            Assert.That(File.Exists(Path.Combine(site, "results", image)), $"the results page's image {image} is in the site");
        Assert.That(File.Exists(Path.Combine(site, "api", "Coin.Abstractions.Training.ITrainingHooks.html")), "the API reference of the training hooks");

        HeadlessChromium.Require();
        string page = HeadlessChromium.DumpDom(Path.Combine(site, "guide", "getting-started.html"));
        Assert.That(page, Does.Contain("<h1 id=\"getting-started\">Getting started</h1>"));
        Assert.That(page, Does.Contain("bash .ci/run"));
        string api = HeadlessChromium.DumpDom(Path.Combine(site, "api", "Coin.Abstractions.Training.ITrainingHooks.html"));
        Assert.That(api, Does.Contain("AfterBackward"), "the contract's members are documented");
    }
}
