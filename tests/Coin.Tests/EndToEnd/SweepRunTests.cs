using System.Diagnostics;
using System.Text.Json.Nodes;
using Coin.Tests.Support;

namespace Coin.Tests.EndToEnd;

/// <summary><c>coin sweep</c> through the host: a local pool, idempotent cells (finished skipped, interrupted resumed,
/// missing run), status and compare naming what is not finished, and a real one-node Slurm that preempts a cell with
/// SIGTERM and requeues it, ending with the same results as the local pool.</summary>
[Parallelizable(ParallelScope.All)]
public class SweepRunTests
{
    /// <summary>A sweep over the quick experiment: 2 methods × 2 seeds, one thread per cell. 10 steps per task: the
    /// Slurm test preempts cell 0 once its second task has started, and those 10 steps and the evaluation (~0.6 s on
    /// an idle core) are the time the signal has to reach it through Slurm (it found the cell at step 1 or 2 in
    /// trials); every step more is trained by eight cells.</summary>
    private static string WriteSweep(string directory, string output)
    {
        CoinProcess.WriteQuickExperiment(directory, json =>
        {
            json["data"]!["options"]!["trainPerTask"] = 160;
            json["training"]!["checkpointEverySteps"] = 5;
        });
        string path = Path.Combine(directory, $"sweep-{output}.json");
        File.WriteAllText(path, $$"""
            { "name": "methods", "experiment": "quick.json", "output": "{{output}}",
              "axes": { "continual.type": ["sequential", "replay"], "seed": [1, 2] }, "resources": { "cpus": 1 } }
            """);
        return path;
    }

    private static string Cell(string directory, string output, int index)
        => Directory.GetDirectories(Path.Combine(directory, output, "methods")).Single(d => Path.GetFileName(d).StartsWith($"{index:D3}-"));

    /// <summary><c>coin sweep run sweep-local.json --local 2</c> over the whole grid, which both tests need: the local
    /// test as its first run, the Slurm test as the results the array must end with. Run once (a host and 4 cells,
    /// ~3 s of CPU each), by whichever test asks first, in a folder of its own.</summary>
    private static readonly Lazy<(CoinProcess.Result Result, string Directory)> LocalPool = new(() =>
    {
        string directory = TestPaths.NewTemporaryDirectory("sweep-pool");
        return (CoinProcess.Run(directory, "sweep", "run", WriteSweep(directory, "local"), "--local", "2"), directory);
    });

    /// <summary>The result of <see cref="LocalPool"/>, and when it succeeded, a copy of its output folder in
    /// <paramref name="directory"/>, beside the same sweep file (<see cref="WriteSweep"/>), for the test to change.</summary>
    private static CoinProcess.Result CopyOfLocalPool(string directory)
    {
        var (result, pool) = LocalPool.Value;
        if (result.ExitCode == 0) TestPaths.CopyDirectory(Path.Combine(pool, "local"), Path.Combine(directory, "local"));
        return result;
    }

    [Test]
    public void A_local_sweep_runs_every_cell_once_and_picks_up_missing_and_interrupted_ones()
    {
        string directory = TestPaths.NewTemporaryDirectory("sweep-local");
        string sweep = WriteSweep(directory, "local");
        var plan = CoinProcess.Run(directory, "sweep", "plan", sweep);
        Assert.That(plan.Output, Does.Contain("4 cells").And.Contain("003-continual.type=replay_seed=2"), plan.ToString());

        // The first run of the pool is the one the Slurm test compares with: a copy of it.
        var first = CopyOfLocalPool(directory);
        Assert.That(first.ExitCode, Is.EqualTo(0), first.ToString());
        Assert.That(first.Output, Does.Contain("[4/4]"));
        string matrix = File.ReadAllText(Path.Combine(Cell(directory, "local", 1), "accuracy-matrix.csv"));

        // Cell 0 lost, cell 1 killed before it finished (results "running", its owner's description left behind).
        Directory.Delete(Cell(directory, "local", 0), recursive: true);
        string killed = Cell(directory, "local", 1);
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(killed, "results.json")))!.AsObject();
        results["status"] = "running";
        File.WriteAllText(Path.Combine(killed, "results.json"), results.ToJsonString());
        File.WriteAllText(Path.Combine(killed, "run.lock.owner"), $$"""{"Host":"{{Environment.MachineName}}","Pid":999999,"ProcessStartUtc":"2026-01-01T00:00:00Z"}""");

        var status = CoinProcess.Run(directory, "sweep", "status", sweep);
        Assert.That(status.Output, Does.Contain("1 missing, 0 running, 1 interrupted, 0 failed, 2 done"), status.ToString());
        var partial = CoinProcess.Run(directory, "sweep", "compare", sweep);
        Assert.That(partial.ExitCode, Is.EqualTo(1), "an incomplete sweep is not a success");
        Assert.That(partial.Output, Does.Contain("not in the table: cell 0").And.Contain("not in the table: cell 1"));
        Assert.That(partial.Output, Does.Contain("methods.replay").And.Contain("2 (1, 2)").And.Not.Contain("│ methods.sequential"),
            "a method is averaged only over its finished cells, which the table says: " + partial);

        var again = CoinProcess.Run(directory, "sweep", "run", sweep, "--local", "1");
        Assert.That(again.ExitCode, Is.EqualTo(0), again.ToString());
        Assert.That(again.Output, Does.Contain("2 cells to run"), "finished cells are skipped");
        Assert.That(File.ReadAllText(Path.Combine(killed, "accuracy-matrix.csv")), Is.EqualTo(matrix));
        var done = CoinProcess.Run(directory, "sweep", "compare", sweep);
        Assert.That(done.ExitCode, Is.EqualTo(0), done.ToString());
        Assert.That(done.Output, Does.Contain("2 (1, 2)"));
    }

    [Test]
    public void A_slurm_array_with_a_preempted_cell_ends_with_the_results_of_the_local_pool()
    {
        if (!SlurmIsUp()) Assert.Ignore("no Slurm here: .ci/run starts one with .ci/slurm.sh start");
        string directory = TestPaths.NewTemporaryDirectory("sweep-slurm");
        string onSlurm = WriteSweep(directory, "slurm");
        string local = WriteSweep(directory, "local");

        var emitted = CoinProcess.Run(directory, "sweep", "emit", "slurm", onSlurm);
        Assert.That(emitted.ExitCode, Is.EqualTo(0), emitted.ToString());
        File.WriteAllText(Path.Combine(directory, "job.sh"), emitted.Output);
        string job = Shell(directory, "sbatch --parsable job.sh").Trim();

        // Preempt cell 0 in its second task: SIGTERM to its batch script, as Slurm sends before a preemption. The cell
        // checkpoints at the step the signal finds it at, and its second run resumes from there, within the task.
        var clock = Stopwatch.StartNew();
        while (!Checkpointed(directory) && clock.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(100);
        Assert.That(Checkpointed(directory), "cell 0 checkpointed in its second task within 3 minutes");
        // scancel retries for ~95 s while the cell is requeueing itself ("Job can not be altered now"), although its
        // first attempt delivered the signal: bound it.
        Shell(directory, $"timeout 5 scancel --signal=TERM --batch {job}_0 || true");
        // The script requeues the cell; Slurm holds a requeued job back ~2 minutes, which a test need not wait for.
        while (!Shell(directory, $"squeue -h -j {job}_0 -o %r").Contains("BeginTime") && clock.Elapsed < TimeSpan.FromMinutes(4)) Thread.Sleep(200);
        Shell(directory, $"scontrol update JobId={job}_0 StartTime=now");
        while (Shell(directory, $"squeue -h -j {job}").Trim().Length > 0 && clock.Elapsed < TimeSpan.FromMinutes(6)) Thread.Sleep(500);
        Assert.That(Shell(directory, $"squeue -h -j {job}").Trim(), Is.Empty, "the array finished");

        string log = File.ReadAllText(Directory.GetFiles(Path.Combine(directory, "slurm", "methods", "logs"), "0-slurm-*.log").Single());
        Assert.That(log, Does.Contain("stopped by SIGTERM").And.Contain("preempted: requeueing").And.Contain("interrupted, resuming"), log);
        var status = CoinProcess.Run(directory, "sweep", "status", onSlurm);
        Assert.That(status.Output, Does.Contain("4 done"), status.ToString() + log);

        // The local pool's run of the same grid, shared with the local test (LocalPool): a copy of it.
        var pool = CopyOfLocalPool(directory);
        Assert.That(pool.ExitCode, Is.EqualTo(0), pool.ToString());
        for (int cell = 0; cell < 4; cell++)
            foreach (string file in new[] { "accuracy-matrix.csv", "steps.csv" })
                Assert.That(File.ReadAllText(Path.Combine(Cell(directory, "slurm", cell), file)), Is.EqualTo(File.ReadAllText(Path.Combine(Cell(directory, "local", cell), file))), $"cell {cell} {file}");
        Assert.That(CoinProcess.Run(directory, "sweep", "compare", onSlurm).ExitCode, Is.EqualTo(0));
        Assert.That(CoinProcess.Run(directory, "sweep", "compare", local).ExitCode, Is.EqualTo(0));
        string WithoutTime(string output) => string.Join("\n", File.ReadAllLines(Path.Combine(directory, output, "methods", "comparison.csv")).Select(l => string.Join(',', l.Split(',')[..^2])));
        Assert.That(WithoutTime("slurm"), Is.EqualTo(WithoutTime("local")), "coin sweep compare: the same table");
    }

    private static bool Checkpointed(string directory)
    {
        string methods = Path.Combine(directory, "slurm", "methods");
        if (!Directory.Exists(methods)) return false;
        var cell = Directory.GetDirectories(methods).FirstOrDefault(d => Path.GetFileName(d).StartsWith("000-"));
        if (cell is null) return false;
        try
        {
            var position = JsonNode.Parse(File.ReadAllText(Path.Combine(cell, "checkpoint", "state.json")))!["position"]!;
            // The checkpoint taken when the second task starts (step 0) or any later one in it.
            return position["taskIndex"]!.GetValue<int>() == 1;
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool SlurmIsUp()
    {
        try
        {
            return Shell(Path.GetTempPath(), "sinfo -h -o %T").Contains("idle") || Shell(Path.GetTempPath(), "sinfo -h -o %T").Contains("mix");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return false;
        }
    }

    private static string Shell(string directory, string command)
    {
        using var process = Process.Start(new ProcessStartInfo("bash", ["-c", command]) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true })!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return output;
    }
}
