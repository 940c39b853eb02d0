using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Plugins.Continual.Regularisation;
using Coin.Plugins.Continual.Rehearsal;
using Coin.Tests.Support;
using static TorchSharp.torch;

namespace Coin.Tests.Continual;

/// <summary>Replay, EWC and LwF on the tiny composed model.</summary>
public class RegularisationUpdaterTests
{
    private static (Coin.Engine.Composition.ComposedExperiment Run, TaskContext Task, StepContext Step) Compose()
    {
        var (_, run) = InProcessExperiment.Compose(new Dictionary<string, string?>
        {
            ["data:options:tasks:0"] = "color",
            ["data:options:trainPerTask"] = "16",
        });
        var task = run.Data.Tasks[0];
        var taskContext = new TaskContext(task, run.Model, run.Data.LoadTrain(task));
        return (run, taskContext, new StepContext(task, 0, 1, 0, run.Model, null!, (_, _) => { }));
    }

    [Test]
    public void ReservoirSamplingKeepsDistinctItemsDeterministically()
    {
        var first = ReplayUpdater.Reservoir(Enumerable.Range(0, 100), 10, new Random(3));
        var again = ReplayUpdater.Reservoir(Enumerable.Range(0, 100), 10, new Random(3));
        Assert.That(first, Is.EqualTo(again));
        Assert.That(first.Distinct().Count(), Is.EqualTo(10));
        Assert.That(first.Any(i => i >= 10), "later items get a chance");
        Assert.That(ReplayUpdater.Reservoir(Enumerable.Range(0, 4), 10, new Random(3)), Is.EqualTo(new[] { 0, 1, 2, 3 }));
    }

    [Test]
    public void ReplayOffersTheKeptSamplesToLaterTasks()
    {
        var (run, task, _) = Compose();
        using var _r = run;
        var replay = new ReplayUpdater(new ReplayOptions { BufferPerTask = 5 }, new ComponentContext { Device = CPU, Seed = 1, RunDirectory = "", ResolvePath = p => p });
        Assert.That(replay.ExtraTrainingSamples(task), Is.Empty);
        replay.OnTaskEnd(task);
        Assert.That(replay.ExtraTrainingSamples(task), Has.Count.EqualTo(5).And.SubsetOf(task.TrainSamples));
    }

    [Test]
    public void EwcPenaltyIsHalfLambdaTimesFisherWeightedSquaredDistance()
    {
        using var scope = NewDisposeScope();
        var (run, task, step) = Compose();
        using var _r = run;
        using var ewc = new EwcUpdater(new EwcOptions { Lambda = 10, FisherSamples = 16 });
        Assert.That(ewc.ExtraLoss(step, null!, null!), Is.Null, "no penalty before the first task ends");
        ewc.OnTaskEnd(task);
        Assert.That(ewc.Fisher(0).sum().item<float>(), Is.GreaterThan(0));
        Assert.That(ewc.ExtraLoss(step, null!, null!)!.item<float>(), Is.EqualTo(0f), "θ = θ* right after the task");

        var parameter = run.Model.TrainableGroups[0].Parameters[0];
        using (no_grad()) parameter.add_(0.1);
        double expected = 10 / 2.0 * (ewc.Fisher(0) * 0.01).sum().item<float>();
        Assert.That(ewc.ExtraLoss(step, null!, null!)!.item<float>(), Is.EqualTo(expected).Within(1e-4 * Math.Max(1, expected)));
        Assert.That(run.Model.TrainableGroups.SelectMany(g => g.Parameters).All(p => p.grad is null), "the Fisher pass leaves no gradients behind");
    }

    [Test]
    public void The_Fisher_is_the_mean_of_per_sample_squared_gradients()
    {
        using var scope = NewDisposeScope();
        var (run, task, _) = Compose();
        using var _r = run;
        var samples = task.TrainSamples.Take(3).ToList();
        var parameter = run.Model.TrainableGroups[0].Parameters[0];
        Tensor Gradient(IReadOnlyList<Coin.Abstractions.Data.Sample> batch)
        {
            foreach (var p in run.Model.TrainableGroups.SelectMany(g => g.Parameters)) p.grad = null;
            run.Model.Forward(run.Model.Collate(batch)).Loss.backward();
            return parameter.grad!.detach().clone();
        }
        var perSample = samples.Select(s => Gradient([s])).ToList();
        var expected = perSample.Select(g => g.pow(2)).Aggregate((a, b) => a + b) / samples.Count;
        var batchLevel = Gradient(samples).pow(2);

        using var ewc = new EwcUpdater(new EwcOptions { FisherSamples = samples.Count });
        ewc.OnTaskEnd(task);
        Assert.That((ewc.Fisher(0) - expected).abs().max().item<float>(), Is.LessThan(1e-5f * Math.Max(1f, expected.abs().max().item<float>())));
        // Not the square of the batch's gradient (what 0.1.0 computed): here the three samples' gradients are nearly
        // parallel at initialisation, so the two are close, but they are different quantities.
        Assert.That((ewc.Fisher(0) - batchLevel).abs().max().item<float>(), Is.GreaterThan(0f));
    }

    [Test]
    public void LwfIsZeroForAnUnchangedModelAndRestoresTheLiveWeights()
    {
        using var scope = NewDisposeScope();
        var (run, task, step) = Compose();
        using var _r = run;
        using var lwf = new LwfUpdater(new LwfOptions { Temperature = 2, Lambda = 1 });
        var batch = run.Model.Collate(task.TrainSamples.Take(4).ToList());
        lwf.BeforeForward(step, batch);
        Assert.That(lwf.ExtraLoss(step, batch, run.Model.Forward(batch)), Is.Null, "no previous model yet");

        lwf.OnTaskEnd(task);
        lwf.BeforeForward(step, batch);
        Assert.That(lwf.ExtraLoss(step, batch, run.Model.Forward(batch))!.item<float>(), Is.EqualTo(0f).Within(1e-6));

        var parameter = run.Model.TrainableGroups.Last().Parameters[0];
        using (no_grad()) parameter.add_(0.05);
        var moved = parameter.detach().clone();
        lwf.BeforeForward(step, batch);
        Assert.That(parameter.detach().eq(moved).all().item<bool>(), "live weights restored after the teacher pass");
        var output = run.Model.Forward(batch);
        var penalty = lwf.ExtraLoss(step, batch, output)!;
        Assert.That(penalty.item<float>(), Is.GreaterThan(1e-6f));
        penalty.backward();
        Assert.That(parameter.grad, Is.Not.Null, "the distillation term trains the live model");
    }
}
