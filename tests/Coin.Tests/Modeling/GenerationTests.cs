using Coin.Engine.Modeling;
using Coin.Engine.Results;
using Coin.Engine.Running;
using Coin.Tests.Support;
using static TorchSharp.torch;

namespace Coin.Tests.Modeling;

/// <summary>Generation through the whole multimodal model: the cache changes nothing but speed; sampling is
/// seeded; stop strings cut answers.</summary>
public class GenerationTests
{
    private static (MultimodalModel Model, IReadOnlyList<Coin.Abstractions.Data.Sample> Prompts, IDisposable Run) TrainedBriefly()
    {
        var (experiment, run) = InProcessExperiment.Compose(new Dictionary<string, string?>
        {
            ["data:options:tasks:0"] = "color",
            ["data:options:trainPerTask"] = "64",
            ["data:options:testPerTask"] = "12",
            ["training:epochs"] = "1",
        });
        var task = run.Data.Tasks[0];
        TaskTrainer.For(run, experiment.Config.Training, new StepLog(), seed: 1).Train(task, run.Data.LoadTrain(task), 0, new NoProgress());
        return (run.Model, run.Data.LoadTest(task), run);
    }

    [Test]
    public void TheCacheGivesTheSameTokensAsRecomputingEverything()
    {
        using var scope = NewDisposeScope();
        var (model, prompts, run) = TrainedBriefly();
        using var _ = run;
        var cached = TextGenerator.Generate(model, prompts, new GenerationSettings(16, UseCache: true));
        var recomputed = TextGenerator.Generate(model, prompts, new GenerationSettings(16, UseCache: false));
        Assert.That(cached, Is.EqualTo(recomputed));
        Assert.That(cached.Distinct().Count(), Is.GreaterThan(0));
    }

    [Test]
    public void SamplingIsReproducibleFromItsSeedAndVariesAcrossSeeds()
    {
        using var scope = NewDisposeScope();
        var (model, prompts, run) = TrainedBriefly();
        using var _ = run;
        GenerationSettings Sampled(long seed) => new(10, Temperature: 1.5, TopP: 0.95, Seed: seed);
        var first = TextGenerator.Generate(model, prompts, Sampled(1));
        Assert.That(TextGenerator.Generate(model, prompts, Sampled(1)), Is.EqualTo(first));
        Assert.That(TextGenerator.Generate(model, prompts, Sampled(2)), Is.Not.EqualTo(first));
    }

    [Test]
    public void AStopStringEndsTheAnswerBeforeIt()
    {
        using var scope = NewDisposeScope();
        var (model, prompts, run) = TrainedBriefly();
        using var _ = run;
        var free = TextGenerator.Generate(model, prompts, new GenerationSettings(12, UseCache: true));
        // Stop at the second character of whatever the model says, so the cut is visible.
        var stop = free.First(a => a.Length >= 2)[1].ToString();
        var stopped = TextGenerator.Generate(model, prompts, new GenerationSettings(12, StopStrings: [stop]));
        for (int i = 0; i < free.Count; i++)
        {
            int at = free[i].IndexOf(stop, StringComparison.Ordinal);
            Assert.That(stopped[i], Is.EqualTo(at >= 0 ? free[i][..at].Trim() : free[i]));
        }
    }
}
