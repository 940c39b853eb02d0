using Coin.Host.Sweeps;
using Coin.Tests.Support;
using k8s;
using k8s.Models;

namespace Coin.Tests.Sweeps;

/// <summary>The files <c>coin sweep emit</c> writes for the schedulers.</summary>
public class SchedulerFilesTests
{
    private static SweepFile Sweep()
    {
        string folder = TestPaths.NewTemporaryDirectory("emit");
        File.WriteAllText(Path.Combine(folder, "sweep.json"), """
            { "name": "Methods_v2", "axes": { "seed": [1, 2, 3] },
              "resources": { "cpus": 4, "memory": "16G", "time": "04:00:00", "gpus": 1, "maxParallel": 2 },
              "slurm": { "partition": "gpu", "account": "lab", "extra": ["--qos=long"] },
              "kubernetes": { "image": "registry.example/coin:1", "namespace": "ml", "volumeClaim": "coin-work" } }
            """);
        return SweepFile.Load(Path.Combine(folder, "sweep.json"));
    }

    [Test]
    public void The_kubernetes_job_is_a_valid_indexed_job_running_one_cell_per_index()
    {
        string manifest = SchedulerFiles.Kubernetes(Sweep(), 3, "experiments/sweep.json");
        // Read into the Kubernetes object model (generated from the API's OpenAPI schema) and written back: a field the
        // schema does not know would be dropped, a value of the wrong type would not read, so equal JSON means valid fields.
        var job = KubernetesJson.Deserialize<V1Job>(manifest);
        Assert.That(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(KubernetesJson.Serialize(job)), System.Text.Json.Nodes.JsonNode.Parse(manifest)),
            Is.True, KubernetesJson.Serialize(job));
        Assert.That(job.ApiVersion, Is.EqualTo("batch/v1"));
        Assert.That(job.Kind, Is.EqualTo("Job"));
        Assert.That(job.Metadata.Name, Is.EqualTo("coin-methods-v2"), "a DNS-1123 name");
        Assert.That(job.Metadata.NamespaceProperty, Is.EqualTo("ml"));
        Assert.That(job.Spec.CompletionMode, Is.EqualTo("Indexed"));
        Assert.That((job.Spec.Completions, job.Spec.Parallelism, job.Spec.BackoffLimitPerIndex), Is.EqualTo((3, 2, 3)));
        Assert.That(job.Spec.PodFailurePolicy.Rules.Select(r => r.Action), Is.EqualTo(new[] { "Ignore", "FailIndex" }),
            "preemption does not count as a failure; a user error (exit 2) is not retried");
        Assert.That(job.Spec.PodFailurePolicy.Rules[1].OnExitCodes.Values, Is.EqualTo(new[] { 2 }));
        var container = job.Spec.Template.Spec.Containers.Single();
        Assert.That(container.Command, Is.EqualTo(new[] { "coin", "sweep", "run", "experiments/sweep.json", "--cell", "$(CELL)" }));
        Assert.That(container.Env.Single(e => e.Name == "CELL").ValueFrom.FieldRef.FieldPath, Is.EqualTo("metadata.annotations['batch.kubernetes.io/job-completion-index']"));
        Assert.That(container.Resources.Requests["nvidia.com/gpu"].ToString(), Is.EqualTo("1"));
        Assert.That(container.Resources.Limits["memory"].ToString(), Is.EqualTo("16Gi"));
        Assert.That(job.Spec.Template.Spec.Volumes.Single().PersistentVolumeClaim.ClaimName, Is.EqualTo("coin-work"));
    }

    [Test]
    public void The_slurm_script_is_an_array_that_checkpoints_on_term_and_requeues_itself()
    {
        var sweep = Sweep();
        string script = SchedulerFiles.Slurm(sweep, 3, "coin");
        foreach (string directive in new[] { "--array=0-2%2", "--cpus-per-task=4", "--mem=16G", "--time=04:00:00", "--gres=gpu:1", "--partition=gpu",
                     "--account=lab", "--qos=long", "--signal=B:TERM@120", "--requeue", $"--output={sweep.Directory}/logs/%a-slurm-%A.log" })
            Assert.That(script, Does.Contain($"#SBATCH {directive}\n"));
        Assert.That(script, Does.Contain($"coin sweep run '{sweep.Path}' --cell \"$SLURM_ARRAY_TASK_ID\""));
        Assert.That(script, Does.Contain("scontrol requeue"));
        var syntax = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", ["-n"]) { RedirectStandardInput = true, RedirectStandardError = true })!;
        syntax.StandardInput.Write(script);
        syntax.StandardInput.Close();
        syntax.WaitForExit();
        Assert.That(syntax.ExitCode, Is.EqualTo(0), syntax.StandardError.ReadToEnd());
    }
}
