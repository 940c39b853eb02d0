using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Engine.Configuration;
using Coin.Engine.Modeling;
using Coin.Engine.Results;
using Coin.Nn.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Engine.Running;

/// <summary>Trains the model on one task: epochs of shuffled batches, one optimiser step per batch, every step in
/// its own dispose scope so no tensor outlives it. The training hooks (continual methods, then the balance scheduler)
/// are called at each point of a step in order; the base model's stages train with none.</summary>
/// <remarks>Everything random is a function of the seed and the position — each epoch's order of (task seed, epoch),
/// torch's generator reseeded from (seed, global step) before each step — so a run resumed from a checkpoint at
/// step k continues exactly as the uninterrupted run did.</remarks>
/// <param name="cancellation">Checked before every step: SIGINT/SIGTERM stop the task at a step boundary, after a
/// checkpoint of that point.</param>
public sealed class TaskTrainer(MultimodalModel model, IReadOnlyList<ITrainingHooks> hooks, TrainingConfig training, IStepRecorder log,
    int seed = 0, CancellationToken cancellation = default)
{
    private readonly ScalarType? computeType = ComputePrecision.Parse(training.Precision);

    public static TaskTrainer For(Composition.ComposedExperiment run, TrainingConfig training, IStepRecorder log, int seed, CancellationToken cancellation = default)
        => new(run.Model, run.Hooks, training, log, seed, cancellation);

    /// <summary>Optimiser steps over all tasks so far (the x axis of the step log).</summary>
    public long GlobalStep { get; set; }

    /// <summary>Background workers that prepare the coming steps' encoder inputs (<c>data.workers</c>); none by default.</summary>
    public InputPipeline Input { get; init; } = InputPipeline.InStep;

    /// <summary><paramref name="Workers"/> background threads preparing inputs up to <paramref name="PrefetchSteps"/> steps ahead.</summary>
    public sealed record InputPipeline(int Workers, int PrefetchSteps)
    {
        public static readonly InputPipeline InStep = new(0, 1);
        public static InputPipeline Of(DataSourceConfig data) => new(data.Workers, data.PrefetchSteps);
    }

    /// <param name="InputSeconds">Of <paramref name="Seconds"/>, the time steps spent waiting for their inputs
    /// (collating, and preparing what no worker had prepared).</param>
    public sealed record Summary(int Steps, double FirstLoss, double FinalLoss, double Seconds, double InputSeconds = 0);

    /// <summary>Where a resumed task continues: the next step, the optimiser state file, and what the interrupted part
    /// of the task had measured.</summary>
    public sealed record ResumePoint(int Step, string? OptimizerState, double Seconds, double FirstLoss, double LastLoss, double InputSeconds = 0);

    /// <summary>Positions whose next token is an answer token (what the loss averages over).</summary>
    private static long AnswerTokens(Batch batch)
    {
        using var scope = NewDisposeScope();
        return batch.Labels.narrow(1, 1, batch.Labels.shape[1] - 1).ne(Batch.IgnoreIndex).sum().item<long>();
    }

    public static int StepsFor(int samples, TrainingConfig training)
        => training.Epochs * StepsPerEpoch(samples, training);

    private static int StepsPerEpoch(int samples, TrainingConfig training)
        => (int)Math.Ceiling(samples / (double)(training.BatchSize * training.GradientAccumulation));

    /// <param name="shuffleSeed">Seed of this task's sample order.</param>
    /// <param name="checkpoints">Where a checkpoint is written every <c>training.checkpointEverySteps</c> steps and when
    /// a signal stops the task.</param>
    /// <param name="resume">Continue an interrupted task instead of starting it.</param>
    public Summary Train(TaskInfo task, IReadOnlyList<Sample> samples, int shuffleSeed, IProgressSink progress,
        ITrainingCheckpoints? checkpoints = null, ResumePoint? resume = null)
    {
        var groups = model.TrainableGroups;
        var baseRates = groups.ToDictionary(g => g.Name, g => training.LearningRates.GetValueOrDefault(g.Name, training.LearningRate));
        // A fresh optimiser per task, as CoIN trains each task as its own fine-tuning run.
        using var optimizer = new AdamW(
            groups.Select(g => new TorchSharp.Modules.AdamW.ParamGroup(g.Parameters, lr: baseRates[g.Name], weight_decay: training.WeightDecay)),
            training.LearningRate, training.WeightDecay);
        if (resume?.OptimizerState is { } state) LoadOptimizerState(optimizer, state);
        var rates = new LearningRates(optimizer, groups.Select(g => g.Name).ToList(), baseRates);
        var trainable = groups.SelectMany(g => g.Parameters).ToList();

        int stepsInTask = StepsFor(samples.Count, training), stepsPerEpoch = StepsPerEpoch(samples.Count, training);
        int samplesPerStep = training.BatchSize * training.GradientAccumulation;
        var started = System.Diagnostics.Stopwatch.StartNew();
        double earlierSeconds = resume?.Seconds ?? 0, inputSeconds = resume?.InputSeconds ?? 0;
        double firstLoss = resume?.FirstLoss ?? double.NaN, lastLoss = resume?.LastLoss ?? double.NaN;
        int step = resume?.Step ?? 0;
        if (step > 0) progress.Resumed(step);
        TrainingPoint Point() => new(step, earlierSeconds + started.Elapsed.TotalSeconds, firstLoss, lastLoss, inputSeconds);
        model.SetTraining(true);
        var order = new StepOrder(samples, shuffleSeed, stepsPerEpoch, samplesPerStep);
        // The prefetcher reads steps ahead of the loop, through its own copy of the order so as not to evict the loop's epoch.
        using var prefetcher = Input.Workers > 0
            ? model.Collator.Prefetch(Input.Workers, Input.PrefetchSteps, stepsInTask, new StepOrder(samples, shuffleSeed, stepsPerEpoch, samplesPerStep).Samples)
            : null;
        try
        {
            for (; step < stepsInTask; step++, GlobalStep++)
            {
                cancellation.ThrowIfCancellationRequested();
                if (checkpoints is not null && training.CheckpointEverySteps > 0 && step > (resume?.Step ?? 0) && step % training.CheckpointEverySteps == 0)
                    checkpoints.Write(Point(), optimizer);
                prefetcher?.Advance(step);
                var (loss, waited) = Step(task, step, stepsInTask, order.Samples(step), optimizer, rates, trainable);
                inputSeconds += waited;
                Runtime.CachingAllocator.ReturnFreeMemoryIfAbove(Runtime.CachingAllocator.StepRetentionBytes);
                if (double.IsNaN(firstLoss)) firstLoss = loss;
                lastLoss = loss;
                progress.Advance(1, $"loss {loss:F3}");
            }
        }
        catch (OperationCanceledException)
        {
            // A signal stops between steps, where the model, optimiser and updaters agree: save that point.
            checkpoints?.Write(Point(), optimizer);
            throw;
        }
        finally
        {
            if (prefetcher is not null) model.Collator.StopPrefetching();
        }
        model.SetTraining(false);
        return new Summary(step, firstLoss, lastLoss, earlierSeconds + started.Elapsed.TotalSeconds, inputSeconds);
    }

    /// <summary>The samples of each step of a task: epoch e's order is a function of (shuffle seed, e) alone.</summary>
    private sealed class StepOrder(IReadOnlyList<Sample> samples, int shuffleSeed, int stepsPerEpoch, int samplesPerStep)
    {
        private readonly Dictionary<int, int[]> epochs = [];

        public IReadOnlyList<Sample> Samples(int step)
        {
            int epoch = step / stepsPerEpoch;
            if (!epochs.TryGetValue(epoch, out var order))
            {
                foreach (int old in epochs.Keys.Where(e => e < epoch - 1).ToList()) epochs.Remove(old);
                epochs[epoch] = order = EpochOrder(samples.Count, shuffleSeed, epoch);
            }
            return order.Skip(step % stepsPerEpoch * samplesPerStep).Take(samplesPerStep).Select(i => samples[i]).ToList();
        }
    }

    private static void LoadOptimizerState(OptimizerHelper optimizer, string path)
    {
        try
        {
            optimizer.load_state_dict(path);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            throw new CoinUserException($"{path}: the optimiser state cannot be read ({e.GetType().Name}: {e.Message}); " +
                                        "the checkpoint is damaged — delete the run's checkpoint folder to restart the run");
        }
    }

    private static int[] EpochOrder(int count, int shuffleSeed, int epoch)
    {
        int[] order = Enumerable.Range(0, count).ToArray();
        new Random(unchecked(shuffleSeed * 1_000_003 + epoch)).Shuffle(order);
        return order;
    }

    /// <returns>The step's loss, and the seconds it waited for its inputs.</returns>
    private (double Loss, double InputSeconds) Step(TaskInfo task, int step, int stepsInTask, IReadOnlyList<Sample> stepSamples, OptimizerHelper optimizer, LearningRates rates, List<Parameter> trainable)
    {
        using var scope = NewDisposeScope();
        manual_seed(unchecked(seed * 1_000_003L + GlobalStep));
        rates.ScheduleFactor = LearningRateSchedule.Factor(training.Schedule, training.WarmupRatio, step, stepsInTask);
        // The host applies the schedule to every group; a balance scheduler then scales it (it reads Base, which is
        // the scheduled rate). Before, only schedulers applied it, so a stage without one — the base model's first
        // stage — never got its warmup and cosine decay.
        foreach (var group in rates.Groups) rates.Set(group, rates.Base(group));
        long globalStep = GlobalStep;
        var context = new StepContext(task, step, stepsInTask, globalStep, model, rates,
            (name, value) => log.Add(task.Name, globalStep, name, value));
        optimizer.zero_grad();
        // Collated up front to count answer tokens: weighting each micro-batch's mean loss by its share of the
        // step's tokens makes the accumulated gradient exactly that of one batch holding them all.
        var collating = System.Diagnostics.Stopwatch.StartNew();
        var microBatches = stepSamples.Chunk(training.BatchSize).Select(m => model.Collator.Collate(m, includeAnswer: true)).ToList();
        double inputSeconds = collating.Elapsed.TotalSeconds;
        var tokens = microBatches.Select(AnswerTokens).ToList();
        double totalTokens = Math.Max(1, tokens.Sum());
        double lossValue = 0;
        for (int m = 0; m < microBatches.Count; m++)
        {
            using var microScope = NewDisposeScope();
            var batch = microBatches[m];
            Tensor loss;
            ModelOutput output;
            // Every forward pass of the step in the compute precision: the hooks before it (teachers, references), the
            // model's, the auxiliary losses. The backward pass replays the graph as recorded, so it needs no region
            // (as with autocast); hooks after the optimiser step and at task ends run in float32.
            using (ComputePrecision.Use(computeType))
            using (Recompute.Use(training.ActivationCheckpointing))
            {
                foreach (var hook in hooks) hook.BeforeForward(context, batch);
                try
                {
                    output = model.Forward(batch);
                }
                catch (CoinUserException e)
                {
                    // The model knows what is wrong with the input, the trainer which rows it came from.
                    throw new CoinUserException($"task '{task.Name}', step {step}, samples {string.Join(", ", batch.Samples.Select(x => x.Id))}: {e.Message}", e);
                }
                loss = output.Loss;
                foreach (var hook in hooks)
                    if (hook.ExtraLoss(context, batch, output) is { } extra) loss = loss + extra;
            }
            double share = tokens[m] / totalTokens;
            double value = loss.item<float>();
            if (!double.IsFinite(value))
                throw new CoinUserException(step == 0 && globalStep == 0
                    // Nothing has been updated yet, so no learning rate is to blame.
                    ? $"task '{task.Name}', step 0: the loss is {value} before any update of this training: the model as loaded (or as an earlier stage left it) gives it. " +
                      "Check the weights (a damaged or mismatched checkpoint) and the configuration (rope_theta, rms_norm_eps, the dtype of the weights)."
                    : $"task '{task.Name}', step {step}: the loss is {value}; learning rates were {rates}. " +
                      "Lower training.learningRate or enable training.maxGradNorm; if the weights were already non-finite, check the checkpoint.");
            (loss * share).backward();
            lossValue += value * share;
        }
        // The hooks see the raw gradients (and may change them, or set this step's rates) before clipping bounds the total.
        foreach (var hook in hooks) hook.AfterBackward(context);
        if (training.MaxGradNorm > 0) nn.utils.clip_grad_norm_(trainable, training.MaxGradNorm);
        optimizer.step();
        foreach (var hook in hooks) hook.AfterStep(context, microBatches[^1]);

        context.Log("loss", lossValue);
        foreach (var group in rates.Groups) context.Log($"lr/{group}", rates.Get(group));
        return (lossValue, inputSeconds);
    }
}
