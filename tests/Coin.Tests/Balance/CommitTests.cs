using Coin.Abstractions.Training;
using Coin.Engine.Composition;
using Coin.Engine.Results;
using Coin.Engine.Running;
using Coin.Plugins.Balance;
using Coin.Plugins.Balance.Commit;
using Coin.Tests.Support;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Tests.Balance;

/// <summary>CoMMIT's pieces on a real (tiny) model: κ tells which side moved the output, the scheduler raises the
/// lagging side's rate, and the auxiliary term's gradient moves the output further from the reference.</summary>
public class CommitTests
{
    private static (Engine.Configuration.Experiment, ComposedExperiment) Compose(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["data:options:tasks:0"] = "color",
            ["data:options:trainPerTask"] = "64",
            ["training:epochs"] = "1",
            ["training:batchSize"] = "8",
        };
        foreach (var (k, v) in extra ?? []) settings[k] = v;
        return InProcessExperiment.Compose(settings);
    }

    private static void Perturb(IEnumerable<Parameter> parameters)
    {
        using var noGrad = no_grad();
        foreach (var p in parameters) p.add_(randn_like(p) * 0.05);
    }

    [TestCase(true)]
    [TestCase(false)]
    public void Kappa_is_near_one_when_only_the_encoder_side_moved_and_near_zero_when_only_the_llm_did(bool moveFeature)
    {
        var (_, run) = Compose();
        using var _ = run;
        using var scope = NewDisposeScope();
        var batch = run.Model.Collate(run.Data.LoadTrain(run.Data.Tasks[0]).Take(8).ToList());
        using var feature = new WeightSwap(Sides.Feature(run.Model));
        using var language = new WeightSwap(Sides.Language(run.Model));
        Perturb(moveFeature ? Sides.Feature(run.Model) : Sides.Language(run.Model));
        feature.CaptureAfter();
        language.CaptureAfter();
        var (dFeature, dLanguage) = OutputShift.Divergences(run.Model, batch, feature, language);
        double kappa = BalanceFormulas.Kappa(dFeature, dLanguage);
        if (moveFeature) Assert.That(kappa, Is.GreaterThan(0.99), $"D_E {dFeature}, D_L {dLanguage}");
        else Assert.That(kappa, Is.LessThan(0.01), $"D_E {dFeature}, D_L {dLanguage}");
        Assert.That(feature.UpdateNorm() > 0, Is.EqualTo(moveFeature));
    }

    [Test]
    public void The_factors_raise_the_lagging_side_and_lower_the_dominating_one()
    {
        var lagging = BalanceFormulas.Factors(smoothedKappa: 0.2, target: 0.5, strength: 0.5, min: 0.2, max: 5);
        Assert.That(lagging.Feature, Is.EqualTo(Math.Sqrt(2.5)).Within(1e-12));
        Assert.That(lagging.Language, Is.EqualTo(Math.Sqrt(0.5 / 0.8)).Within(1e-12));
        var balanced = BalanceFormulas.Factors(0.5, 0.5, 0.5, 0.2, 5);
        Assert.That(balanced, Is.EqualTo((1.0, 1.0)));
        Assert.That(BalanceFormulas.Factors(0.0, 0.5, 1, 0.2, 5), Is.EqualTo((5.0, 0.5)), "clipped");
    }

    [Test]
    public void Training_with_a_starved_encoder_side_raises_its_rate()
    {
        // The feature side's base rate is 1000x smaller: it barely moves the output, κ stays low, its rate goes up.
        var (experiment, run) = Compose(new() { ["training:learningRates:encoder"] = "1e-6", ["training:learningRates:connector"] = "1e-6" });
        using var _ = run;
        var log = new StepLog();
        using var scheduler = new CommitLrScheduler(new CommitOptions { MeasureEvery = 1 });
        var task = run.Data.Tasks[0];
        new TaskTrainer(run.Model, [.. run.Continual, scheduler], experiment.Config.Training, log, seed: 1).Train(task, run.Data.LoadTrain(task), 3, new NoProgress());
        Assert.That(scheduler.SmoothedKappa, Is.LessThan(0.2));
        var encoderRates = log.Series("lr/encoder").Select(s => s.Value).ToList();
        Assert.That(encoderRates[^1], Is.GreaterThan(2e-6), "the encoder's rate is raised above its base");
        Assert.That(log.Series("lr/backbone").Last().Value, Is.LessThan(1e-3), "the backbone's is lowered below its base");
    }

    [Test]
    public void The_auxiliary_gradient_moves_the_output_further_from_the_reference()
    {
        var (experiment, run) = Compose();
        using var _ = run;
        using var scheduler = new CommitAuxiliaryScheduler(new CommitOptions { MeasureEvery = 1, AuxiliaryWeight = 1 });
        var task = run.Data.Tasks[0];
        var samples = run.Data.LoadTrain(task);
        // Two steps: the second measurement makes the weights before step 2 the reference, and the model has moved on.
        var training = experiment.Config.Training;
        training.Epochs = 1;
        new TaskTrainer(run.Model, [.. run.Continual, scheduler], training, new StepLog(), seed: 1).Train(task, samples.Take(16).ToList(), 3, new NoProgress());

        var batch = run.Model.Collate(samples.Take(8).ToList());
        var parameters = run.Model.TrainableGroups.SelectMany(g => g.Parameters).ToList();
        using var optimizer = optim.AdamW(run.Model.TrainableGroups.Select(g => new TorchSharp.Modules.AdamW.ParamGroup(g.Parameters, lr: 1e-3)));
        var rates = new LearningRates(optimizer, run.Model.TrainableGroups.Select(g => g.Name).ToList(),
            run.Model.TrainableGroups.ToDictionary(g => g.Name, _ => 1e-3));
        double divergence = double.NaN;
        var context = new StepContext(task, 5, 10, 5, run.Model, rates, (name, value) => { if (name == "balance/auxiliary-kl") divergence = value; });
        double Divergence()
        {
            using var scope = NewDisposeScope();
            scheduler.BeforeForward(context, batch);
            scheduler.ExtraLoss(context, batch, run.Model.Forward(batch));
            return divergence;
        }

        double before = Divergence();
        Assert.That(before, Is.GreaterThan(0), "the model moved away from the reference");
        foreach (var p in parameters) p.grad = null;
        scheduler.AfterBackward(context); // puts only the auxiliary gradient into p.grad
        using (no_grad())
            foreach (var p in parameters)
                if (p.grad is { } g) p.sub_(g * 0.5);
        foreach (var p in parameters) p.grad = null;
        Assert.That(Divergence(), Is.GreaterThan(before), "a descent step on the auxiliary term increases KL(p ‖ p_ref)");
    }
}
