using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Training;
using Coin.Plugins.Continual.Averaging;
using Coin.Tests.Support;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Tests.Continual;

/// <summary>EMA and LLaCA updates worked out by hand on a two-element parameter.</summary>
public class AveragingUpdaterTests
{
    private sealed class OneParameterModel(Parameter parameter) : IMultimodalModel
    {
        public IBackbone Backbone => throw new NotSupportedException();
        public IReadOnlyDictionary<string, IEncoder> Encoders => throw new NotSupportedException();
        public IReadOnlyDictionary<string, IConnector> Connectors => throw new NotSupportedException();
        public IReadOnlyList<nn.Module> ComponentModules(string component) => throw new NotSupportedException();
        public IReadOnlyList<ParameterGroup> TrainableGroups => [new ParameterGroup(ComponentNames.Backbone, [parameter])];
        public ModelOutput Forward(Batch batch) => throw new NotSupportedException();
        public Batch Collate(IReadOnlyList<Sample> samples) => throw new NotSupportedException();
    }

    private static readonly TaskInfo TaskA = new("A", 0, ["image"]);

    private static (Parameter Parameter, TaskContext Task, List<(string Name, double Value)> Log, Func<StepContext> Step) Setup(float[] initial)
    {
        var parameter = new Parameter(tensor(initial));
        var model = new OneParameterModel(parameter);
        var log = new List<(string, double)>();
        return (parameter, new TaskContext(TaskA, model, []), log,
            () => new StepContext(TaskA, 0, 1, 0, model, null!, (name, value) => log.Add((name, value))));
    }

    private static void Move(Parameter p, float[] value, float[] gradient)
    {
        using var noGrad = no_grad();
        p.copy_(tensor(value));
        p.grad = tensor(gradient);
    }

    private static float[] Values(Tensor t) => t.data<float>().ToArray();

    [TestCase(2.0, 0.01, 3.0, 10.0, 4.0, 0.2)]     // 2 * 4 / (10 * 4)
    [TestCase(2.0, 0.01, 3.0, 0.0, 4.0, 0.01)]     // division by zero: fallback
    [TestCase(2.0, 0.01, 3.0, 1.0, 1.0, 0.01)]     // 8 is not below 1: fallback
    [TestCase(2.0, 0.05, 0.0, 4.0, 1.0, 0.5)]      // 2 * 1 / 4
    public void AlphaFollowsLlacasFormula(double k, double alpha0, double grad, double distance, double change, double expected)
        => Assert.That(LlacaUpdater.Alpha(k, alpha0, grad, distance, change), Is.EqualTo(expected).Within(1e-12));

    [Test]
    public void LlacaBlendsWithTheAdaptiveRateAndWritesTheAverageAtTaskEnd()
    {
        var (p, task, log, step) = Setup([1, 2]);
        using var llaca = new LlacaUpdater(new LlacaOptions());
        llaca.OnTaskStart(task);

        // Step 1: g = [1, -1], |g| = 2, |θ - ema| = |[1, 2]| = 3, |g - 0| = 2: alpha = 2 * 3 / 6 = 1, not below 1,
        // so alpha0 = 0.01: ema = 0.99 [1, 2] + 0.01 [2, 4] = [1.01, 2.02].
        Move(p, [2, 4], [1, -1]);
        llaca.AfterStep(step());
        // Step 2: g = [2, 1], |g| = 3, |θ - ema| = |[1.99, 2.98]| = 4.97, |g - g_prev| = |[1, 2]| = 3:
        // alpha = 2 * 4 / (4.97 * 3) = 0.536553...
        Move(p, [3, 5], [2, 1]);
        llaca.AfterStep(step());
        double alpha = 8 / (4.97 * 3);
        var expected = new[] { (1 - alpha) * 1.01 + alpha * 3, (1 - alpha) * 2.02 + alpha * 5 };

        Assert.That(log.Where(l => l.Name == "llaca/alpha").Select(l => l.Value), Is.EqualTo(new[] { 0.01, alpha }).Within(1e-5));
        Assert.That(log.Where(l => l.Name == "llaca/fallback-share").Select(l => l.Value), Is.EqualTo(new[] { 1.0, 0.0 }));
        llaca.OnTaskEnd(task);
        Assert.That(Values(p), Is.EqualTo(expected.Select(v => (float)v).ToArray()).Within(1e-5));
    }

    [Test]
    public void LlacaIsPlainTuningOnTasksNotListed()
    {
        var (p, task, log, step) = Setup([1, 2]);
        using var llaca = new LlacaUpdater(new LlacaOptions { Tasks = ["B"] });
        llaca.OnTaskStart(task);
        Move(p, [2, 4], [1, -1]);
        llaca.AfterStep(step());
        llaca.OnTaskEnd(task);
        Assert.That(Values(p), Is.EqualTo(new float[] { 2, 4 }));
        Assert.That(log, Is.Empty);
    }

    [Test]
    public void FixedEmaBlendsAtItsRate()
    {
        var (p, task, _, step) = Setup([0, 10]);
        using var ema = new EmaUpdater(new EmaOptions { Alpha = 0.25 });
        ema.OnTaskStart(task);
        Move(p, [4, 2], [0, 0]);
        ema.AfterStep(step());   // 0.75 [0, 10] + 0.25 [4, 2] = [1, 8]
        Move(p, [5, 0], [0, 0]);
        ema.AfterStep(step());   // 0.75 [1, 8] + 0.25 [5, 0] = [2, 6]
        ema.OnTaskEnd(task);
        Assert.That(Values(p), Is.EqualTo(new float[] { 2, 6 }).Within(1e-6));
    }

    [Test]
    public void IndependentStartsEveryTaskFromTheFirstTasksStartingWeights()
    {
        var (p, task, _, _) = Setup([1, 2]);
        using var independent = new Coin.Plugins.Continual.IndependentUpdater();
        independent.OnTaskStart(task);
        Move(p, [5, 6], [0, 0]);
        independent.OnTaskEnd(task);
        Assert.That(Values(p), Is.EqualTo(new float[] { 5, 6 }), "the task's own result is what it is evaluated with");
        independent.OnTaskStart(task);
        Assert.That(Values(p), Is.EqualTo(new float[] { 1, 2 }));

        // Resuming mid-task: OnTaskStart sees the restored mid-task weights; the saved start replaces them.
        var state = new ComponentState();
        independent.SaveState(state);
        using var resumed = new Coin.Plugins.Continual.IndependentUpdater();
        Move(p, [7, 8], [0, 0]);
        resumed.OnTaskStart(task);
        resumed.LoadState(state, task);
        Assert.That(Values(p), Is.EqualTo(new float[] { 7, 8 }), "the mid-task weights stay for the rest of the task");
        resumed.OnTaskStart(task);
        Assert.That(Values(p), Is.EqualTo(new float[] { 1, 2 }));
    }

    [Test]
    public void ARunWithLlacaLogsAlphaPerStep()
    {
        string directory = TestPaths.NewTemporaryDirectory("llaca");
        var result = CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory, json =>
            json["continual"] = System.Text.Json.Nodes.JsonNode.Parse("""{ "type": "llaca", "options": { "k": 2, "alpha0": 0.01 } }""")));
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Output, Does.Contain("continual 'llaca' keeps 2x the trainable parameters in float32"), "declared extra memory is reported before training");
        string steps = File.ReadAllText(Path.Combine(Directory.GetDirectories(Path.Combine(directory, "runs")).Single(), "steps.csv"));
        Assert.That(steps.Split('\n').Count(l => l.Contains(",llaca/alpha,")), Is.EqualTo(6), "one alpha per optimiser step (2 tasks x 3 steps)");
    }
}
