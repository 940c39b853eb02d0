using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Coin.Host.Sweeps;

/// <summary>What <c>coin sweep emit</c> writes: a Slurm array script and a Kubernetes Indexed Job, each running
/// <c>coin sweep run SWEEP --cell I</c> for its index. Both rely on the cell being idempotent: a finished cell is
/// skipped, an interrupted one resumes from its checkpoint, so a preempted or requeued task runs the same command again.</summary>
public static class SchedulerFiles
{
    /// <param name="coin">How to start coin on the cluster (e.g. "dotnet /path/coin.dll").</param>
    public static string Slurm(SweepFile sweep, int cells, string coin)
    {
        var r = sweep.Resources;
        string logs = Path.Combine(sweep.Directory, "logs");
        var text = new StringBuilder("#!/bin/bash\n");
        text.Append($"# coin sweep '{sweep.Name}': {cells} cells of {sweep.Path}. Submit with: sbatch THIS_FILE\n");
        void Directive(string line) => text.Append("#SBATCH ").Append(line).Append('\n');
        Directive($"--job-name=coin-{sweep.Name}");
        Directive($"--array=0-{cells - 1}{(r.MaxParallel > 0 ? $"%{r.MaxParallel}" : "")}");
        Directive($"--output={logs}/%a-slurm-%A.log");
        Directive("--open-mode=append");
        Directive($"--cpus-per-task={r.Cpus}");
        Directive($"--mem={r.Memory}");
        Directive($"--time={r.Time}");
        if (r.Gpus > 0) Directive($"--gres=gpu:{r.Gpus}");
        if (sweep.Slurm.Partition is { } partition) Directive($"--partition={partition}");
        if (sweep.Slurm.Account is { } account) Directive($"--account={account}");
        // TERM to this script shortly before the time limit (or when an admin preempts it): it reaches coin, which
        // checkpoints and exits with 143; the script then requeues the task, which resumes where it stopped.
        Directive($"--signal=B:TERM@{sweep.Slurm.SignalSeconds}");
        Directive("--requeue");
        foreach (string extra in sweep.Slurm.Extra) Directive(extra);
        text.Append($"""

            mkdir -p {Quote(logs)}
            export COIN_THREADS="${"{"}SLURM_CPUS_PER_TASK:-{r.Cpus}{"}"}"
            {coin} sweep run {Quote(sweep.Path)} --cell "$SLURM_ARRAY_TASK_ID" &
            cell=$!
            trap 'kill -TERM "$cell" 2> /dev/null' TERM
            wait "$cell"; status=$?
            # wait returns early when the trap fires: wait again for coin to finish its checkpoint, then ask once more
            # for its own exit status (127: the last wait had collected it already).
            while kill -0 "$cell" 2> /dev/null; do wait "$cell"; status=$?; done
            wait "$cell" 2> /dev/null; last=$?; [ "$last" -ne 127 ] && status=$last
            if [ "$status" -eq 143 ]; then
              echo "cell $SLURM_ARRAY_TASK_ID preempted: requeueing ${"{"}SLURM_ARRAY_JOB_ID{"}"}_$SLURM_ARRAY_TASK_ID"
              scontrol requeue "${"{"}SLURM_ARRAY_JOB_ID{"}"}_$SLURM_ARRAY_TASK_ID"
            fi
            exit "$status"

            """);
        return text.ToString();
    }

    public static string Kubernetes(SweepFile sweep, int cells, string sweepPathInPod)
    {
        var r = sweep.Resources;
        var k = sweep.Kubernetes;
        var requests = new JsonObject { ["cpu"] = r.Cpus.ToString(), ["memory"] = KubernetesMemory(r.Memory) };
        if (r.Gpus > 0) requests["nvidia.com/gpu"] = r.Gpus.ToString();
        var metadata = new JsonObject { ["name"] = KubernetesName($"coin-{sweep.Name}") };
        if (k.Namespace is { } ns) metadata["namespace"] = ns;
        var command = new JsonArray(k.Command.Select(c => (JsonNode)c).ToArray());
        foreach (string arg in new[] { "sweep", "run", sweepPathInPod, "--cell", "$(CELL)" }) command.Add(arg);
        var job = new JsonObject
        {
            ["apiVersion"] = "batch/v1",
            ["kind"] = "Job",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject
            {
                ["completionMode"] = "Indexed",
                ["completions"] = cells,
                ["parallelism"] = r.MaxParallel > 0 ? r.MaxParallel : cells,
                // Each index may fail (or be evicted) a few times; it resumes from its checkpoint every time.
                ["backoffLimitPerIndex"] = 3,
                // A pod evicted by preemption (it checkpoints on SIGTERM) does not count as a failure.
                ["podFailurePolicy"] = new JsonObject
                {
                    ["rules"] = new JsonArray(
                        new JsonObject
                        {
                            ["action"] = "Ignore",
                            ["onPodConditions"] = new JsonArray(new JsonObject { ["type"] = "DisruptionTarget" }),
                        },
                        // Exit 2 is a user error (configuration, data): retrying cannot help.
                        new JsonObject
                        {
                            ["action"] = "FailIndex",
                            ["onExitCodes"] = new JsonObject { ["containerName"] = "coin", ["operator"] = "In", ["values"] = new JsonArray(2) },
                        }),
                },
                ["template"] = new JsonObject
                {
                    ["spec"] = new JsonObject
                    {
                        ["restartPolicy"] = "Never",
                        ["terminationGracePeriodSeconds"] = sweep.Slurm.SignalSeconds,
                        ["containers"] = new JsonArray(new JsonObject
                        {
                            ["name"] = "coin",
                            ["image"] = k.Image,
                            ["workingDir"] = k.WorkDir,
                            ["command"] = command,
                            ["env"] = new JsonArray(
                                new JsonObject
                                {
                                    ["name"] = "CELL",
                                    ["valueFrom"] = new JsonObject { ["fieldRef"] = new JsonObject { ["fieldPath"] = "metadata.annotations['batch.kubernetes.io/job-completion-index']" } },
                                },
                                new JsonObject { ["name"] = "COIN_THREADS", ["value"] = r.Cpus.ToString() }),
                            ["resources"] = new JsonObject { ["requests"] = requests.DeepClone(), ["limits"] = requests },
                            ["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = "work", ["mountPath"] = k.WorkDir }),
                        }),
                        ["volumes"] = new JsonArray(new JsonObject
                        {
                            ["name"] = "work",
                            ["persistentVolumeClaim"] = new JsonObject { ["claimName"] = k.VolumeClaim },
                        }),
                    },
                },
            },
        };
        return job.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>Slurm's 8G is Kubernetes' 8Gi, and a bare number is megabytes to Slurm (bytes to Kubernetes).</summary>
    private static string KubernetesMemory(string memory)
        => memory.All(char.IsDigit) ? memory + "Mi"
            : memory.Length > 1 && char.IsDigit(memory[^2]) && memory[^1] is 'K' or 'M' or 'G' or 'T' ? memory + "i" : memory;

    private static string KubernetesName(string name)
    {
        var safe = new string(name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '-').ToArray()).Trim('-');
        return safe.Length > 63 ? safe[..63].TrimEnd('-') : safe;
    }

    public static string Quote(string text) => "'" + text.Replace("'", "'\\''") + "'";
}
