using Coin.Engine.Configuration;
using Microsoft.Extensions.Configuration;

namespace Coin.Tests.Configuration;

public class StrictBinderTests
{
    private static (ExperimentConfig Config, List<string> Errors) Bind(params (string Key, string Value)[] values)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value)))
            .Build();
        var errors = new List<string>();
        var config = (ExperimentConfig)StrictBinder.Bind(configuration, typeof(ExperimentConfig), "", errors);
        return (config, errors);
    }

    [Test]
    public void EmptyConfigurationGivesTheDefaults()
    {
        var (config, errors) = Bind();
        Assert.That(errors, Is.Empty);
        Assert.That(config.Training.Epochs, Is.EqualTo(new TrainingConfig().Epochs));
        Assert.That(config.Model.Encoders.Keys, Is.EqualTo(new[] { "image" }));
    }

    [Test]
    public void ValuesAreBoundCaseInsensitively()
    {
        var (config, errors) = Bind(("training:LEARNINGRATE", "1e-4"), ("seed", "12"), ("model:encoders:audio:type", "whisper"));
        Assert.That(errors, Is.Empty);
        Assert.That(config.Training.LearningRate, Is.EqualTo(1e-4));
        Assert.That(config.Seed, Is.EqualTo(12));
        Assert.That(config.Model.Encoders.Keys, Is.EqualTo(new[] { "audio" }), "a dictionary in the file replaces the default entries");
    }

    [Test]
    public void AnUnknownKeyNamesItsPathAndTheAcceptedKeys()
    {
        var (_, errors) = Bind(("training:lerningRate", "1e-4"));
        Assert.That(errors, Has.Count.EqualTo(1));
        Assert.That(errors[0], Is.EqualTo("training.lerningRate: unknown key; did you mean 'learningRate'? accepted: activationCheckpointing, batchSize, checkpointEverySteps, epochs, gradientAccumulation, learningRate, learningRates, maxGradNorm, precision, preparedCacheMiB, schedule, warmupRatio, weightDecay"));
    }

    [Test]
    public void AValueOfTheWrongTypeNamesTheExpectedType()
    {
        var (_, errors) = Bind(("training:epochs", "three"), ("training:learningRate", "NaN"));
        Assert.That(errors, Is.EquivalentTo(new[]
        {
            "training.epochs: 'three' is not an integer",
            "training.learningRate: 'NaN' is not a finite number",
        }));
    }

    [Test]
    public void AnOutOfRangeValueIsReportedWithItsPath()
    {
        var (_, errors) = Bind(("training:batchSize", "0"));
        Assert.That(errors, Has.Count.EqualTo(1));
        Assert.That(errors[0], Does.StartWith("training.batchSize: must be between 1 and 65536"));
    }

    [Test]
    public void AScalarWhereASectionIsExpectedIsReported()
    {
        var (_, errors) = Bind(("training", "fast"));
        Assert.That(errors, Has.Count.EqualTo(1));
        Assert.That(errors[0], Does.StartWith("training: expected an object with keys (activationCheckpointing, batchSize,"));
    }

    [Test]
    public void ListsAreBoundInIndexOrder()
    {
        var (config, errors) = Bind(("plugins:directories:1", "b"), ("plugins:directories:0", "a"));
        Assert.That(errors, Is.Empty);
        Assert.That(config.Plugins.Directories, Is.EqualTo(new[] { "a", "b" }));
    }

    [Test]
    public void AllErrorsAreReportedTogether()
    {
        var (_, errors) = Bind(("seed", "-1"), ("device", "gpu"), ("bogus", "1"));
        Assert.That(errors, Has.Count.EqualTo(3));
        Assert.That(errors, Has.Some.StartWith("seed:"));
        Assert.That(errors, Has.Some.StartWith("device: expected cpu, cuda or cuda:N"));
        Assert.That(errors, Has.Some.StartWith("bogus: unknown key"));
    }

    [Test]
    public void ACoinFilesTaskMetricMustBeOneOfCoInsAndTheListsAgree()
    {
        Assert.That(Coin.Plugins.Datasets.CoinFormat.CoinTaskFiles.Metrics, Is.EqualTo(Coin.Plugins.Evaluation.Coin.CoinEvaluator.Metrics),
            "coin-files checks the names the coin evaluator scores by");
        List<string> BindTask(string metric)
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection([
                KeyValuePair.Create("root", (string?)"data"), KeyValuePair.Create("tasks:0:name", (string?)"A"),
                KeyValuePair.Create("tasks:0:train", (string?)"a.json"), KeyValuePair.Create("tasks:0:test", (string?)"b.json"),
                KeyValuePair.Create("tasks:0:metric", (string?)metric)]).Build();
            var errors = new List<string>();
            StrictBinder.Bind(configuration, typeof(Coin.Plugins.Datasets.CoinFormat.CoinFilesOptions), "data.options", errors);
            return errors;
        }
        foreach (string metric in Coin.Plugins.Datasets.CoinFormat.CoinTaskFiles.Metrics) Assert.That(BindTask(metric), Is.Empty, metric);
        Assert.That(BindTask("nope"), Is.EqualTo(new[] { "data.options.tasks[0].metric: expected one of CoIN's metrics: option-letter, vqa-soft, substring, exact-match, exact-match-gqa, exact-match-ocr, grounding-iou" }));
    }
}
