using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
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

/// <summary>The per-task LoRA bank: each sample gets its routed task's update; routing is the nearest prototype.</summary>
public class LoraBankTests
{
    [Test]
    public void Each_sample_gets_the_update_of_the_task_it_is_routed_to()
    {
        using var target = new Coin.Nn.Layers.AutocastLinear(2, 2, hasBias: false);
        using (no_grad()) target.weight.zero_();
        using var selection = new TaskSelection();
        var layer = new TaskLowRankLayer("t", target, rank: 1, alpha: 1, dropoutRate: 0, selection);
        layer.AddTask();
        layer.AddTask();
        using (no_grad())
        {
            layer.Pair(0).A.copy_(tensor(new float[] { 1, 0 }, [1, 2]));
            layer.Pair(0).B.copy_(tensor(new float[] { 1, 0 }, [2, 1]));
            layer.Pair(1).A.copy_(tensor(new float[] { 0, 1 }, [1, 2]));
            layer.Pair(1).B.copy_(tensor(new float[] { 0, 1 }, [2, 1]));
        }
        var x = tensor(new float[] { 1, 2, 3, 4 }, [2, 1, 2]);   // two samples, one position each
        float[] Out() => target.call(x).data<float>().ToArray();
        selection.Select(tensor(new float[] { 1, 0, 0, 1 }, [2, 2]));
        Assert.That(Out(), Is.EqualTo(new float[] { 1, 0, 0, 4 }), "sample 0 through task 0's pair (A0 x = 1), sample 1 through task 1's (A1 x = 4)");
        selection.Select(1);
        Assert.That(Out(), Is.EqualTo(new float[] { 0, 2, 0, 4 }), "task 1 for both");
        selection.Select(-1);
        Assert.That(Out(), Is.EqualTo(new float[] { 0, 0, 0, 0 }), "no task: the base layer");
    }

    [Test]
    public void Routing_picks_the_prototype_of_highest_cosine()
    {
        var features = tensor(new float[] { 1, 0, 0, 2, 1, 1.1f, 5, 4 }, [4, 2]);
        var prototypes = tensor(new float[] { 1, 0, 0, 1 }, [2, 2]);
        // cosines: [1, 0], [0, 1], [0.67, 0.74], [0.78, 0.62]
        Assert.That(Coin.Plugins.Adapters.Bank.LoraBankAdapter.Choose(features, prototypes).data<long>().ToArray(), Is.EqualTo(new long[] { 0, 1, 1, 0 }));
    }

    [Test]
    public void Task_agnostic_routing_sends_each_test_sample_to_its_own_tasks_lora()
    {
        var (_, run) = InProcessExperiment.Compose(new Dictionary<string, string?> { ["model:adapter:type"] = "full", ["data:options:tasks:0"] = "color", ["data:options:tasks:1"] = "position" });
        using var __ = run;
        using var bank = new Coin.Plugins.Adapters.Bank.LoraBankAdapter(new Coin.Plugins.Adapters.Bank.LoraBankOptions { Rank = 2 },
            new Coin.Abstractions.Plugins.ComponentContext { Device = CPU, Seed = 0, RunDirectory = TestPaths.NewTemporaryDirectory("bank"), ResolvePath = p => p });
        bank.Apply(run.Model);
        var stream = run.Data.Tasks;
        foreach (var task in stream)
        {
            var context = new TaskContext(task, run.Model, run.Data.LoadTrain(task)) { Stream = stream };
            bank.BeginTask(context);
            bank.OnTaskEnd(context);
        }
        // A mixed batch of both tasks' test samples, routed without being told their tasks.
        var samples = stream.SelectMany(t => run.Data.LoadTest(t).Take(5)).ToList();
        bank.Route(new RoutingContext(samples, null, run.Model));
        var weights = ((TaskSelection)typeof(Coin.Plugins.Adapters.OLora.TaskLoraAdapter)
            .GetProperty("Selection", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(bank)!).PerSample!;
        var routed = weights.argmax(1).data<long>().ToArray();
        Assert.That(routed, Is.EqualTo(samples.Select(s => (long)stream.Single(t => t.Name == s.Task).Index).ToArray()));
        Assert.That(weights.sum(1).data<float>().ToArray(), Has.All.EqualTo(1f), "one task per sample");

        // Told the task (task-aware), the whole batch takes that task's LoRA.
        bank.Route(new RoutingContext(samples, stream[0], run.Model));
        var selection = (TaskSelection)typeof(Coin.Plugins.Adapters.OLora.TaskLoraAdapter)
            .GetProperty("Selection", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(bank)!;
        Assert.That(selection.PerSample, Is.Null);
        Assert.That(selection.Only, Is.EqualTo(0));
    }

    [TestCase("instruction", new long[] { 0, 0, 0, 0 })]
    [TestCase("inputs", new long[] { 0, 1, 0, 1 })]
    [TestCase("both", new long[] { 0, 1, 0, 1 })]
    public void Routing_on_inputs_tells_apart_tasks_whose_instructions_are_the_same(string routeOn, long[] expected)
    {
        // Two tasks asking the same question of a red and of a blue image: their instruction prototypes are equal (ties
        // go to the first task), their image prototypes are the encoder's features of red and of blue.
        var (_, run) = InProcessExperiment.Compose(new Dictionary<string, string?> { ["model:adapter:type"] = "full", ["data:options:tasks:0"] = "color", ["data:options:tasks:1"] = "position" });
        using var __ = run;
        var stream = run.Data.Tasks;
        int[] shape = run.Data.LoadTest(stream[0])[0].Inputs[0].Shape!;
        int plane = shape[1] * shape[2];
        Sample Solid(TaskInfo task, int channel, int i) => new($"{task.Name}-{i}", task.Name,
            [new ModalityInput("image", Values: Enumerable.Range(0, 3 * plane).Select(v => v / plane == channel ? 1f : 0f).ToArray(), Shape: shape)],
            "<image>\nWhat is shown?", "x");
        var red = Enumerable.Range(0, 3).Select(i => Solid(stream[0], 0, i)).ToList();
        var blue = Enumerable.Range(0, 3).Select(i => Solid(stream[1], 2, i)).ToList();
        using var bank = new Coin.Plugins.Adapters.Bank.LoraBankAdapter(new Coin.Plugins.Adapters.Bank.LoraBankOptions { Rank = 2, RouteOn = routeOn },
            new Coin.Abstractions.Plugins.ComponentContext { Device = CPU, Seed = 0, RunDirectory = TestPaths.NewTemporaryDirectory("bank"), ResolvePath = p => p });
        bank.Apply(run.Model);
        foreach (var (task, samples) in new[] { (stream[0], red), (stream[1], blue) })
        {
            var context = new TaskContext(task, run.Model, samples) { Stream = stream };
            bank.BeginTask(context);
            bank.OnTaskEnd(context);
        }
        bank.Route(new RoutingContext([red[0], blue[0], red[1], blue[1]], null, run.Model));
        var weights = ((TaskSelection)typeof(Coin.Plugins.Adapters.OLora.TaskLoraAdapter)
            .GetProperty("Selection", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(bank)!).PerSample!;
        Assert.That(weights.argmax(1).data<long>().ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void Routing_on_inputs_refuses_an_encoder_that_is_also_a_lora_target()
    {
        IEnumerable<string> Problems(Coin.Plugins.Adapters.Bank.LoraBankOptions o)
            => o.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(o)).Select(r => r.ErrorMessage!);
        Assert.That(Problems(new() { RouteOn = "inputs", Targets = ["backbone", "encoder"] }),
            Has.One.Contains("routeOn 'inputs' reads the encoder's features, so the encoder cannot also be a LoRA target"));
        Assert.That(Problems(new() { RouteOn = "instruction", Targets = ["backbone", "encoder"] }), Is.Empty);
        Assert.That(Problems(new() { RouteOn = "both" }), Is.Empty, "the default targets leave the encoder alone");
    }

    [Test]
    public void Input_features_average_a_samples_inputs_and_are_zero_without_any()
    {
        var (_, run) = InProcessExperiment.Compose(new Dictionary<string, string?> { ["model:adapter:type"] = "full", ["data:options:tasks:0"] = "color" });
        using var __ = run;
        var sample = run.Data.LoadTest(run.Data.Tasks[0])[0];
        var twice = sample with { Inputs = [sample.Inputs[0], sample.Inputs[0]] };
        var textOnly = sample with { Inputs = [] };
        using var scope = NewDisposeScope();
        var features = Coin.Plugins.Adapters.Bank.LoraBankAdapter.InputFeatures(run.Model, [sample, twice, textOnly]);
        Assert.That(features.shape, Is.EqualTo(new long[] { 3, run.Model.Encoders["image"].OutputDim }));
        Assert.That(features[0].norm().item<float>(), Is.EqualTo(1f).Within(1e-5), "normalised");
        Assert.That(features[1].allclose(features[0], rtol: 1e-5, atol: 1e-6), "the mean of two equal inputs is that input's");
        Assert.That(features[2].count_nonzero().item<long>(), Is.Zero);
    }

    [Test]
    public void A_bank_run_completes_under_both_protocols_and_records_which()
    {
        string directory = TestPaths.NewTemporaryDirectory("lora-bank");
        foreach (string protocol in new[] { "task-agnostic", "task-aware" })
        {
            string experiment = CoinProcess.WriteQuickExperiment(directory, json =>
            {
                json["model"] = System.Text.Json.Nodes.JsonNode.Parse("""{ "adapter": { "type": "lora-bank", "options": { "rank": 4 } } }""");
                json["evaluation"]!["protocol"] = protocol;
            });
            var result = CoinProcess.Run(directory, "run", experiment, "--output", $"runs/{protocol}");
            Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
            using var results = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory.GetDirectories(Path.Combine(directory, "runs", protocol)).Single(), "results.json")));
            Assert.That(results.RootElement.GetProperty("config").GetProperty("evaluation").GetProperty("protocol").GetString(), Is.EqualTo(protocol));
            Assert.That(results.RootElement.GetProperty("accuracyMatrix").GetArrayLength(), Is.EqualTo(2));
        }
    }
}
