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

        // Step 1 starts the average: ema = θ_1 = [2, 4], g_prev = [1, -1]; no alpha.
        Move(p, [2, 4], [1, -1]);
        llaca.AfterStep(step(), null!);
        // Step 2: g = [2, 1], |g| = 3, |θ - ema| = |[1, 1]| = 2, |g - g_prev| = |[1, 2]| = 3: alpha = 2 * 4 / 6 = 1.33,
        // not below 1, so alpha0 = 0.01: ema = 0.99 [2, 4] + 0.01 [3, 5] = [2.01, 4.01].
        Move(p, [3, 5], [2, 1]);
        llaca.AfterStep(step(), null!);
        // Step 3: g = [3, 3], |g| = 6, |θ - ema| = |[1.99, 2.99]| = 4.98, |g - g_prev| = |[1, 2]| = 3:
        // alpha = 2 * 7 / (4.98 * 3) = 0.93708...
        Move(p, [4, 7], [3, 3]);
        llaca.AfterStep(step(), null!);
        double alpha = 14 / (4.98 * 3);
        var expected = new[] { (1 - alpha) * 2.01 + alpha * 4, (1 - alpha) * 4.01 + alpha * 7 };

        Assert.That(log.Where(l => l.Name == "llaca/alpha").Select(l => l.Value), Is.EqualTo(new[] { 0.01, alpha }).Within(1e-5));
        Assert.That(log.Where(l => l.Name == "llaca/fallback-share").Select(l => l.Value), Is.EqualTo(new[] { 1.0, 0.0 }));
        Assert.That(log.Where(l => l.Name == "llaca/alpha-p50").Select(l => l.Value), Is.EqualTo(new[] { 0.01, alpha }).Within(1e-5), "one tensor: every quantile is its alpha");
        Assert.That(log.Where(l => l.Name == "llaca/fallback-above-one-share").Select(l => l.Value), Is.EqualTo(new[] { 1.0, 0.0 }), "step 2 fell back because 1.33 >= 1");
        Assert.That(log.Where(l => l.Name == "llaca/raw-alpha-log10-p50").Select(l => l.Value), Is.EqualTo(new[] { Math.Log10(8.0 / 6), Math.Log10(alpha) }).Within(1e-5));
        llaca.OnTaskEnd(task);
        Assert.That(Values(p), Is.EqualTo(expected.Select(v => (float)v).ToArray()).Within(1e-5));
    }

    [Test]
    public void Llaca_starts_each_task_afresh_from_its_first_step_with_a_zero_previous_gradient()
    {
        var (p, task, log, step) = Setup([0, 0]);
        using var llaca = new LlacaUpdater(new LlacaOptions());
        llaca.OnTaskStart(task);
        Move(p, [1, 1], [5, 5]);
        llaca.AfterStep(step(), null!);
        Move(p, [2, 2], [4, 4]);
        llaca.AfterStep(step(), null!);
        llaca.OnTaskEnd(task);

        // Task 2: step 1 makes the average θ_1 = [10, 20] whatever the first task left; step 2 then compares the
        // gradient with step 1's ([1, 0]), not with the last gradient of task 1 ([4, 4]).
        llaca.OnTaskStart(task);
        log.Clear();
        Move(p, [10, 20], [1, 0]);
        llaca.AfterStep(step(), null!);
        Assert.That(log, Is.Empty, "the first step of a task blends nothing");
        Move(p, [11, 22], [2, 0]);
        llaca.AfterStep(step(), null!);
        // |g| = 2, |θ - ema| = |[1, 2]| = 3, |g - g_prev| = |[1, 0]| = 1: alpha = 2 * 3 / 3 = 2, fallback 0.01.
        Assert.That(log.Single(l => l.Name == "llaca/alpha").Value, Is.EqualTo(0.01).Within(1e-12));
        llaca.OnTaskEnd(task);
        Assert.That(Values(p), Is.EqualTo(new[] { 0.99f * 10 + 0.01f * 11, 0.99f * 20 + 0.01f * 22 }).Within(1e-4));
    }

    [Test]
    public void LlacaIsPlainTuningOnTasksNotListed()
    {
        var (p, task, log, step) = Setup([1, 2]);
        using var llaca = new LlacaUpdater(new LlacaOptions { Tasks = ["B"] });
        llaca.OnTaskStart(task);
        Move(p, [2, 4], [1, -1]);
        llaca.AfterStep(step(), null!);
        llaca.OnTaskEnd(task);
        Assert.That(Values(p), Is.EqualTo(new float[] { 2, 4 }));
        Assert.That(log, Is.Empty);
    }

    [Test]
    public void Alpha_quantiles_interpolate_as_numpy_does()
    {
        double[] sorted = [0.01, 0.02, 0.5, 0.9];
        Assert.That(LlacaUpdater.Quantile(sorted, 0.5), Is.EqualTo(0.26).Within(1e-12));
        Assert.That(LlacaUpdater.Quantile(sorted, 0.1), Is.EqualTo(0.013).Within(1e-12));
        Assert.That(LlacaUpdater.Quantile(sorted, 0.9), Is.EqualTo(0.78).Within(1e-12));
        Assert.That(LlacaUpdater.Quantile([0.3], 0.9), Is.EqualTo(0.3));
    }

    [Test]
    public void FixedEmaBlendsAtItsRate()
    {
        var (p, task, _, step) = Setup([0, 10]);
        using var ema = new EmaUpdater(new EmaOptions { Alpha = 0.25 });
        ema.OnTaskStart(task);
        Move(p, [4, 2], [0, 0]);
        ema.AfterStep(step(), null!);   // 0.75 [0, 10] + 0.25 [4, 2] = [1, 8]
        Move(p, [5, 0], [0, 0]);
        ema.AfterStep(step(), null!);   // 0.75 [1, 8] + 0.25 [5, 0] = [2, 6]
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
        ((ITrainingHooks)independent).OnTaskEnd(task);
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
    public void Multitask_trains_the_last_task_on_every_tasks_samples_from_the_start_weights()
    {
        var (p, _, _, _) = Setup([1, 2]);
        var model = new OneParameterModel(p);
        TaskInfo[] stream = [new("A", 0, ["image"]), new("B", 1, ["image"]), new("C", 2, ["image"])];
        Sample S(string task, string id) => new(id, task, [], "q", "a");
        TaskContext Context(int t, params Sample[] samples) => new(stream[t], model, samples) { Stream = stream };
        using var multitask = new Coin.Plugins.Continual.MultitaskUpdater();

        var a = Context(0, S("A", "a1"), S("A", "a2"));
        multitask.OnTaskStart(a);
        Assert.That(multitask.ExtraTrainingSamples(a), Is.Empty, "earlier tasks train alone");
        Move(p, [5, 6], [0, 0]);
        multitask.OnTaskEnd(a);
        var b = Context(1, S("B", "b1"));
        multitask.OnTaskStart(b);
        Assert.That(Values(p), Is.EqualTo(new float[] { 1, 2 }), "every task starts from the stream's start");
        Assert.That(multitask.ExtraTrainingSamples(b), Is.Empty);
        multitask.OnTaskEnd(b);

        // Resumed at the last task's start: the samples seen so far come back from the checkpoint.
        var state = new ComponentState();
        multitask.SaveState(state);
        using var resumed = new Coin.Plugins.Continual.MultitaskUpdater();
        var c = Context(2, S("C", "c1"));
        resumed.OnTaskStart(c);
        resumed.LoadState(state, c);
        Assert.That(resumed.ExtraTrainingSamples(c).Select(s => s.Id), Is.EqualTo(new[] { "a1", "a2", "b1" }), "the last task mixes in every earlier task");
        Assert.That(() => multitask.OnTaskStart(new TaskContext(stream[0], model, [])), Throws.TypeOf<Coin.Abstractions.Plugins.CoinUserException>(),
            "without the stream's length it cannot know the last task");
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
        Assert.That(steps.Split('\n').Count(l => l.Contains(",llaca/alpha,")), Is.EqualTo(4), "one alpha per optimiser step but the first of each task, which starts the average (2 tasks x 2 steps)");
    }
}
