using System.Diagnostics;

namespace Coin.Tests.Support;

/// <summary>Runs the <c>dotnet</c> CLI (build, pack, new) as a plugin author would, failing the test with the
/// command's whole log when it does not succeed.</summary>
public static class DotnetCli
{
    public static string Run(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", args)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // No first-run banner or telemetry notice in the logs.
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string log = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        log += error.Result;
        Assert.That(process.ExitCode, Is.EqualTo(0), $"dotnet {string.Join(' ', args)}\n{log}");
        return log;
    }
}
