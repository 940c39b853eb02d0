using Coin.Abstractions.Training;
using Coin.Plugins.Adapters.OLora;
using Coin.Tests.Support;
using static TorchSharp.torch;

namespace Coin.Tests.Modeling;

/// <summary>O-LoRA on contract 2.0's adapter lifecycle: a LoRA per task, earlier ones frozen, the orthogonality loss.</summary>
public class OLoraTests
{
    [Test]
    public void Every_tasks_update_adds_up_and_only_the_newest_trains()
    {
        using var target = new Coin.Nn.Layers.AutocastLinear(2, 2, hasBias: false);
        using (no_grad()) target.weight.zero_();
        var layer = new TaskLowRankLayer("t", target, rank: 1, alpha: 1, dropoutRate: 0);
        layer.AddTask();
        layer.AddTask();
        using (no_grad())
        {
            layer.Pair(0).A.copy_(tensor(new float[] { 1, 0 }, [1, 2]));
            layer.Pair(0).B.copy_(tensor(new float[] { 1, 0 }, [2, 1]));
            layer.Pair(1).A.copy_(tensor(new float[] { 1, 1 }, [1, 2]));
            layer.Pair(1).B.copy_(tensor(new float[] { 0, 1 }, [2, 1]));
        }
        // x = [1, 2]: B0 (A0 x) + B1 (A1 x) = [1, 0]·1 + [0, 1]·3.
        Assert.That(target.call(tensor(new float[] { 1, 2 }, [1, 2])).data<float>().ToArray(), Is.EqualTo(new float[] { 1, 3 }));
        Assert.That(layer.Pair(0).A.requires_grad || layer.Pair(0).B.requires_grad, Is.False, "the first task's pair is frozen");
        Assert.That(layer.Pair(1).A.requires_grad && layer.Pair(1).B.requires_grad, Is.True);
        Assert.That(target.state_dict().Keys, Is.SupersetOf(new[] { "olora_A_0.weight", "olora_B_1.weight" }));
    }

    [Test]
    public void The_orthogonality_loss_sums_the_absolute_products_of_old_and_new_subspaces()
    {
        var (_, run) = InProcessExperiment.Compose(new Dictionary<string, string?> { ["model:adapter:type"] = "full" });
        using var __ = run;
        var adapter = new OLoraAdapter(new OLoraOptions { Rank = 1, TargetModules = ["q_proj"], Orthogonality = 0.5 });
        adapter.Apply(run.Model);
        var stream = run.Data.Tasks;
        var log = new List<(string, double)>();
        var step = new StepContext(stream[1], 0, 1, 0, run.Model, null!, (n, v) => log.Add((n, v)));
        Assert.That(adapter.ExtraLoss(step, null!, null!), Is.Null, "nothing to be orthogonal to during the first task");
        var groups = adapter.BeginTask(new TaskContext(stream[1], run.Model, []) { Stream = stream });
        Assert.That(adapter.Layers.Select(l => l.Count), Has.All.EqualTo(2));
        Assert.That(groups.SelectMany(g => g.Parameters), Has.Member(adapter.Layers[0].Pair(1).A).And.No.Member(adapter.Layers[0].Pair(0).A));
        Assert.That(adapter.BeginTask(new TaskContext(stream[1], run.Model, []) { Stream = stream }).Count, Is.EqualTo(groups.Count), "idempotent");
        Assert.That(adapter.Layers.Select(l => l.Count), Has.All.EqualTo(2));
        long width = adapter.Layers[0].Pair(0).A.shape[1];
        Tensor Row(float first, float second)
        {
            var values = new float[width];
            (values[0], values[1]) = (first, second);
            return tensor(values, [1, width]);
        }
        using (no_grad())
            foreach (var layer in adapter.Layers)
            {
                // A_0 = e_0 and A_1 = e_0 − 2 e_1: |A_0 A_1ᵀ| = 1 per layer.
                layer.Pair(0).A.copy_(Row(1, 0));
                layer.Pair(1).A.copy_(Row(1, -2));
            }
        var loss = adapter.ExtraLoss(step, null!, null!)!;
        Assert.That(loss.item<float>(), Is.EqualTo(0.5 * adapter.Layers.Count).Within(1e-5));
        Assert.That(log.Single().Item2, Is.EqualTo(adapter.Layers.Count).Within(1e-5), "the unweighted sum is logged");
    }
}
