using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Coin.Tests.Support;

/// <summary>Starts <c>coin run EXPERIMENT</c> in <paramref name="directory"/> and kills the process (no chance to clean
/// up) once a checkpoint within the second task, at step 10 or later, exists: what the resume tests resume from.</summary>
public static class KilledRun
{
    public static void RunUntilMidSecondTask(string directory, string experiment)
    {
        using var process = CoinProcess.Start(directory, "run", experiment);
        process.BeginOutputReadLine();
        var clock = Stopwatch.StartNew();
        while (!MidSecondTask(directory) && !process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(10);
        Assert.That(process.HasExited, Is.False, "the run was still going when it was to be killed");
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    /// <summary>A checkpoint taken within the second task (not at its start).</summary>
    private static bool MidSecondTask(string directory)
    {
        string runs = Path.Combine(directory, "runs");
        if (!Directory.Exists(runs)) return false;
        foreach (string run in Directory.GetDirectories(runs))
        {
            try
            {
                var position = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "checkpoint", "state.json")))!["position"]!;
                if (position["taskIndex"]!.GetValue<int>() == 1 && position["step"]!.GetValue<int>() >= 10) return true;
            }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException or UnauthorizedAccessException)
            {
                // Not there yet, or being replaced this very moment.
            }
        }
        return false;
    }
}
