using System.Diagnostics;

namespace Coin.Tests.Support;

/// <summary>Debian's chromium, headless: a page's DOM after its scripts ran, and a screenshot to look at.</summary>
public static class HeadlessChromium
{
    public static string? Executable => new[] { "chromium", "chromium-browser" }
        .SelectMany(name => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(dir => Path.Combine(dir, name)))
        .FirstOrDefault(File.Exists);

    /// <summary>Skips the calling test when chromium is not installed (<c>.ci/chromium.sh</c> installs it).</summary>
    public static string Require() => Executable ?? throw new IgnoreException("chromium is not installed (.ci/chromium.sh installs it)");

    public static string DumpDom(string page) => Run(page, "--dump-dom");

    public static void Screenshot(string page, string png) => Run(page, $"--screenshot={png}", "--window-size=1300,2400");

    private static string Run(string page, params string[] action)
    {
        string profile = TestPaths.NewTemporaryDirectory("chromium-profile");
        var start = new ProcessStartInfo(Require())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // --no-sandbox: tests run as root; its own profile so parallel tests do not share one; the time budget lets
        // the page's scripts finish before the DOM is written.
        foreach (string arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", $"--user-data-dir={profile}", "--virtual-time-budget=10000" })
            start.ArgumentList.Add(arg);
        foreach (string arg in action) start.ArgumentList.Add(arg);
        start.ArgumentList.Add(new Uri(page).AbsoluteUri);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"chromium did not finish {page} in 90 s");
        }
        Assert.That(process.ExitCode, Is.EqualTo(0), $"chromium {string.Join(' ', action)} {page}\n{error.Result}");
        return output.Result;
    }
}
