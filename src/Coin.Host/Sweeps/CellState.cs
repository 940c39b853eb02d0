using System.Text.Json;
using Coin.Engine.Journal;

namespace Coin.Host.Sweeps;

public enum CellStatus { Missing, Running, Interrupted, Failed, Done }

/// <summary>Where a cell stands, read from its run folder: no folder yet (missing), completed (done), locked by a live
/// process (running), stopped by a signal or a kill (interrupted: the next <c>sweep run</c> resumes it), or failed with
/// its error.</summary>
public sealed record CellState(SweepCell Cell, CellStatus Status, string? Detail)
{
    public static CellState Of(SweepCell cell)
    {
        string experiment = Path.Combine(cell.Directory, RunJournal.ExperimentFileName);
        if (!File.Exists(experiment)) return new(cell, CellStatus.Missing, null);
        string? status = null;
        try
        {
            using var results = JsonDocument.Parse(Coin.Nn.Files.InputFile.ReadJsonText(Path.Combine(cell.Directory, RunJournal.ResultsFileName), Coin.Nn.Files.InputFile.Limits.State, "results file"));
            status = results.RootElement.GetProperty("status").GetString();
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException)
        {
            // Not written yet, or being replaced this moment.
        }
        if (status == "completed") return new(cell, CellStatus.Done, null);
        if (status?.StartsWith("failed", StringComparison.Ordinal) == true) return new(cell, CellStatus.Failed, status["failed: ".Length..]);
        if (OwnerLock.IsHeld(Path.Combine(cell.Directory, RunJournal.LockFileName), out var owner))
            return new(cell, CellStatus.Running, owner?.ToString() ?? "another process");
        return new(cell, CellStatus.Interrupted, status);
    }
}
