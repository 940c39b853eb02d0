using Coin.Abstractions.Plugins;
using Coin.Engine.Configuration;
using Coin.Engine.Results;
using Coin.Engine.Running;
using Coin.Host.Presentation;
using Coin.Host.Sweeps;
using Spectre.Console;

namespace Coin.Host.Cli;

/// <summary><c>coin sweep plan|run|status|compare|emit</c>: a grid of runs (base experiment × axes) as numbered,
/// idempotent cells that a local pool, a Slurm array or a Kubernetes Indexed Job runs.</summary>
public sealed class SweepCommand(CommandLine commandLine, IAnsiConsole console, RunCancellation cancellation) : ICommand
{
    public string Name => "sweep";

    public int Execute()
    {
        var options = commandLine.Sweep;
        var sweep = SweepFile.Load(options.File);
        var cells = SweepPlan.Cells(sweep);
        switch (options.Action)
        {
            case "plan":
                var plan = new Table().Title($"sweep {Markup.Escape(sweep.Name)}: {cells.Count} cells → {Markup.Escape(sweep.Directory)}")
                    .AddColumns("cell", "folder", "run name", "values");
                foreach (var cell in cells) plan.AddRow(cell.Index.ToString(), Markup.Escape(cell.Name), Markup.Escape(cell.RunName), Markup.Escape(cell.Describe()));
                console.Write(plan);
                return 0;
            case "run" when options.Cell is { } index:
                return RunCell(sweep, SweepPlan.Cell(sweep, index));
            case "run":
                return LocalPool.Run(sweep, options.Local!.Value, console, cancellation.Token);
            case "status":
                var states = cells.Select(CellState.Of).ToList();
                var table = new Table().AddColumns("cell", "values", "status", "detail");
                foreach (var state in states)
                    table.AddRow(state.Cell.Index.ToString(), Markup.Escape(state.Cell.Describe()), Colour(state.Status), Markup.Escape(state.Detail ?? ""));
                console.Write(table);
                console.WriteLine(string.Join(", ", Enum.GetValues<CellStatus>().Select(s => $"{states.Count(x => x.Status == s)} {s.ToString().ToLowerInvariant()}")));
                return 0;
            case "compare":
                return Compare(sweep, cells);
            default:
                Emit(sweep, cells.Count, options.Target!);
                return 0;
        }
    }

    /// <summary>One cell, idempotent: done → nothing; interrupted or failed → resumed; missing → started in its folder.</summary>
    private int RunCell(SweepFile sweep, SweepCell cell)
    {
        var state = CellState.Of(cell);
        switch (state.Status)
        {
            case CellStatus.Done:
                console.MarkupLineInterpolated($"cell {cell.Index} ({cell.Describe()}) is done: {cell.Directory}");
                return 0;
            case CellStatus.Running:
                throw new CoinUserException($"cell {cell.Index} is being run by {state.Detail} ({cell.Directory})");
            case CellStatus.Interrupted or CellStatus.Failed:
                console.MarkupLineInterpolated($"cell {cell.Index} ({cell.Describe()}): {state.Status.ToString().ToLowerInvariant()}, resuming");
                return CoinApp.Run(new CommandLine("run", null, [], []) { ResumeDirectory = cell.Directory }, console);
        }
        // Killed while claiming its folder (at most an unheld lock there): start afresh — unless a live process is
        // claiming it this very moment.
        if (Coin.Engine.Journal.OwnerLock.IsHeld(Path.Combine(cell.Directory, Coin.Engine.Journal.RunJournal.LockFileName), out var owner))
            throw new CoinUserException($"cell {cell.Index} is being started by {owner?.ToString() ?? "another process"} ({cell.Directory})");
        if (Directory.Exists(cell.Directory)) Directory.Delete(cell.Directory, recursive: true);
        string baseDirectory = SweepPlan.ExperimentFileOf(sweep, cell) is { } file ? Path.GetDirectoryName(file)! : sweep.Folder;
        console.MarkupLineInterpolated($"cell {cell.Index} ({cell.Describe()}): starting in {cell.Directory}");
        return CoinApp.Run(new CommandLine("run", null, [], [])
        {
            InlineExperiment = SweepPlan.Experiment(sweep, cell),
            InlineSource = new ExperimentSource($"{sweep.Path} cell {cell.Index}", baseDirectory),
            RunDirectory = cell.Directory,
        }, console);
    }

    /// <summary>coin compare over the finished cells; every cell that is not finished is named, and each method's row
    /// says how many runs it averages.</summary>
    private int Compare(SweepFile sweep, IReadOnlyList<SweepCell> cells)
    {
        var states = cells.Select(CellState.Of).ToList();
        var done = states.Where(s => s.Status == CellStatus.Done).ToList();
        foreach (var state in states.Where(s => s.Status != CellStatus.Done))
            console.MarkupLineInterpolated($"[yellow]not in the table:[/] cell {state.Cell.Index} ({state.Cell.Describe()}): {state.Status.ToString().ToLowerInvariant()}{(state.Detail is { } d ? $" — {d}" : "")}");
        if (done.Count == 0) throw new CoinUserException($"{sweep.Path}: no cell has finished yet (coin sweep status {commandLine.Sweep.File})");
        string plot = commandLine.Sweep.Plot.Length > 0 ? Path.GetFullPath(commandLine.Sweep.Plot) : Path.Combine(sweep.Directory, "comparison.png");
        CompareCommand.Render(console, done.Select(s => RunSummary.Read(s.Cell.Directory)).ToList(), plot, null);
        return done.Count == states.Count ? 0 : 1;
    }

    private static void Emit(SweepFile sweep, int cells, string target)
    {
        Directory.CreateDirectory(Path.Combine(sweep.Directory, "logs"));
        string self = Environment.ProcessPath!;
        string coin = Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? $"{SchedulerFiles.Quote(self)} {SchedulerFiles.Quote(Path.Combine(AppContext.BaseDirectory, "coin.dll"))}"
            : SchedulerFiles.Quote(self);
        Console.Out.Write(target == "slurm"
            ? SchedulerFiles.Slurm(sweep, cells, coin)
            : SchedulerFiles.Kubernetes(sweep, cells, Path.GetRelativePath(Directory.GetCurrentDirectory(), sweep.Path)));
    }

    private static string Colour(CellStatus status) => status switch
    {
        CellStatus.Done => "[green]done[/]",
        CellStatus.Running => "[blue]running[/]",
        CellStatus.Interrupted => "[yellow]interrupted[/]",
        CellStatus.Failed => "[red]failed[/]",
        _ => "missing",
    };
}
