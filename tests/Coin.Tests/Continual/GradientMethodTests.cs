using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Training;
using Coin.Plugins.Continual.Gradient;
using Coin.Plugins.Continual.Regularisation;
using Coin.Tests.Support;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Tests.Continual;

/// <summary>The methods that act after backward (contract 2.0's hook), checked against cases worked out by hand.</summary>
public class GradientMethodTests
{
    private static float[] Values(Tensor t) => t.data<float>().ToArray();

    [Test]
    public void Agem_projects_only_a_conflicting_gradient_onto_the_references_normal_plane()
    {
        // g = [1, 0], g_ref = [-1, 1]: g·g_ref = -1 < 0, so g − (−1 / 2) g_ref = [0.5, 0.5], orthogonal to g_ref.
        var (projected, changed) = AgemUpdater.Project(tensor(new float[] { 1, 0 }), tensor(new float[] { -1, 1 }));
        Assert.That(changed, Is.True);
        Assert.That(Values(projected), Is.EqualTo(new float[] { 0.5f, 0.5f }).Within(1e-6));
        Assert.That(projected.dot(tensor(new float[] { -1, 1 })).item<float>(), Is.EqualTo(0).Within(1e-6));
        // No conflict (g·g_ref = 1 ≥ 0): the gradient is left as it is.
        var (kept, unchanged) = AgemUpdater.Project(tensor(new float[] { 1, 1 }), tensor(new float[] { 1, 0 }));
        Assert.That(unchanged, Is.False);
        Assert.That(Values(kept), Is.EqualTo(new float[] { 1, 1 }));
    }

    [Test]
    public void Si_sums_the_path_integral_and_pulls_by_its_importance()
    {
        var p = new Parameter(tensor(new float[] { 1, 2 }));
        var model = new OneParameterModel(p);
        TaskInfo[] stream = [new("A", 0, ["image"]), new("B", 1, ["image"])];
        var log = new List<(string, double)>();
        StepContext Step(int t) => new(stream[t], 0, 1, 0, model, null!, (n, v) => log.Add((n, v)));
        void Move(float[] value, float[]? gradient = null)
        {
            using var noGrad = no_grad();
            p.copy_(tensor(value));
            if (gradient is not null) p.grad = tensor(gradient);
        }
        using var si = new SiUpdater(new SiOptions { Strength = 0.1, Damping = 1e-3 });
        var a = new TaskContext(stream[0], model, []) { Stream = stream };
        si.OnTaskStart(a);
        Assert.That(si.ExtraLoss(Step(0), null!, null!), Is.Null, "nothing to protect during the first task");
        // One step: g = [1, -1], θ: [1, 2] → [0.5, 2.5]; ω = −g·Δθ = −[1·(−0.5), (−1)·0.5] = [0.5, 0.5].
        Move([1, 2], [1, -1]);
        si.AfterBackward(Step(0));
        Move([0.5f, 2.5f]);
        si.AfterStep(Step(0), null!);
        si.OnTaskEnd(a);
        // Ω = ω / (Δ² + ξ) = 0.5 / (0.25 + 0.001) for both; θ* = [0.5, 2.5].
        double omega = 0.5 / 0.251;

        var b = new TaskContext(stream[1], model, []) { Stream = stream };
        si.OnTaskStart(b);
        Move([1.5f, 2.5f]);
        var penalty = si.ExtraLoss(Step(1), null!, null!)!;
        Assert.That(penalty.item<float>(), Is.EqualTo(0.1 * omega * 1).Within(1e-5), "c Σ Ω (θ − θ*)² = 0.1 Ω (1² + 0²)");
        // The step's gradient includes the penalty's, 2cΩ(θ − θ*) = [0.2 Ω, 0]; the path integral uses the task's own
        // [3, 4]: θ [1.5, 2.5] → [1, 2] gives ω = −[3·(−0.5), 4·(−0.5)] = [1.5, 2].
        Move([1.5f, 2.5f], [(float)(0.2 * omega + 3), 4]);
        si.AfterBackward(Step(1));
        Move([1, 2]);
        si.AfterStep(Step(1), null!);
        si.OnTaskEnd(b);
        // Ω += ω / ((θ_end − θ_start)² + ξ) with θ_start = [0.5, 2.5] (the weights when the second task started): Δ = [0.5, −0.5].
        Move([2, 2]);
        var after = si.ExtraLoss(Step(1), null!, null!)!;
        double[] importance = [omega + 1.5 / 0.251, omega + 2 / 0.251];
        Assert.That(after.item<float>(), Is.EqualTo(0.1 * (importance[0] * 1 + importance[1] * 0)).Within(1e-3), "θ* = [1, 2] now");
    }

    [Test]
    public void An_agem_run_projects_only_from_the_second_task_on()
    {
        string directory = TestPaths.NewTemporaryDirectory("agem");
        string experiment = CoinProcess.WriteQuickExperiment(directory, json =>
            json["continual"] = System.Text.Json.Nodes.JsonNode.Parse("""[{ "type": "agem", "options": { "memoryPerTask": 8, "referenceBatchSize": 4 } }, { "type": "si" }]"""));
        var result = CoinProcess.Run(directory, "run", experiment);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        var rows = File.ReadAllLines(Path.Combine(Directory.GetDirectories(Path.Combine(directory, "runs")).Single(), "steps.csv"))
            .Select(l => l.Split(',')).Where(c => c[2] == "agem/projected").ToList();
        Assert.That(rows.Select(c => c[0]).Distinct(), Is.EqualTo(new[] { "position" }), "the first task has no memory to protect");
        Assert.That(rows, Has.Count.EqualTo(3));
        Assert.That(rows.Select(c => c[3]), Has.All.Matches<string>(v => v is "0" or "1"));
    }
}
