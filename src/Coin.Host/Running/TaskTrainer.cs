using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Host.Composition;
using Coin.Host.Configuration;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Host.Running;

/// <summary>Trains the model on one task: epochs of shuffled batches, one optimiser step per batch, every step in
/// its own dispose scope so no tensor outlives it.</summary>
public sealed class TaskTrainer(ComposedExperiment run, TrainingConfig training, StepLog log)
{
    private long globalStep;

    public sealed record Summary(int Steps, double FirstLoss, double FinalLoss, double Seconds);

    /// <summary>Positions whose next token is an answer token (what the loss averages over).</summary>
    private static long AnswerTokens(Batch batch)
    {
        using var scope = NewDisposeScope();
        return batch.Labels.narrow(1, 1, batch.Labels.shape[1] - 1).ne(Batch.IgnoreIndex).sum().item<long>();
    }

    public static int StepsFor(int samples, TrainingConfig training)
        => training.Epochs * (int)Math.Ceiling(samples / (double)(training.BatchSize * training.GradientAccumulation));

    public Summary Train(TaskInfo task, IReadOnlyList<Sample> samples, Random shuffle, IProgressSink progress)
    {
        var model = run.Model;
        var groups = model.TrainableGroups;
        var baseRates = groups.ToDictionary(g => g.Name, g => training.LearningRates.GetValueOrDefault(g.Name, training.LearningRate));
        // A fresh optimiser per task, as CoIN trains each task as its own fine-tuning run.
        using var optimizer = optim.AdamW(
            groups.Select(g => new AdamW.ParamGroup(g.Parameters, lr: baseRates[g.Name], weight_decay: training.WeightDecay)),
            lr: training.LearningRate, weight_decay: training.WeightDecay);
        var rates = new LearningRates(optimizer, groups.Select(g => g.Name).ToList(), baseRates);
        var trainable = groups.SelectMany(g => g.Parameters).ToList();

        int stepsInTask = StepsFor(samples.Count, training);
        var started = System.Diagnostics.Stopwatch.StartNew();
        double firstLoss = double.NaN, lastLoss = double.NaN;
        int step = 0;
        model.SetTraining(true);
        int samplesPerStep = training.BatchSize * training.GradientAccumulation;
        Interruption.TaskName = task.Name;
        for (int epoch = 0; epoch < training.Epochs; epoch++)
        {
            int[] order = Enumerable.Range(0, samples.Count).ToArray();
            shuffle.Shuffle(order);
            for (int start = 0; start < order.Length; start += samplesPerStep, step++, globalStep++)
            {
                Interruption.ThrowIfRequested();
                using var scope = NewDisposeScope();
                var stepSamples = order.Skip(start).Take(samplesPerStep).Select(i => samples[i]).ToList();
                rates.ScheduleFactor = LearningRateSchedule.Factor(training.Schedule, training.WarmupRatio, step, stepsInTask);
                var context = new StepContext(task, step, stepsInTask, globalStep, model, rates,
                    (name, value) => log.Add(task.Name, globalStep, name, value));
                optimizer.zero_grad();
                // Collated up front to count answer tokens: weighting each micro-batch's mean loss by its share of the
                // step's tokens makes the accumulated gradient exactly that of one batch holding them all.
                var microBatches = stepSamples.Chunk(training.BatchSize).Select(m => model.Collator.Collate(m, includeAnswer: true)).ToList();
                var tokens = microBatches.Select(AnswerTokens).ToList();
                double totalTokens = Math.Max(1, tokens.Sum());
                double lossValue = 0;
                for (int m = 0; m < microBatches.Count; m++)
                {
                    using var microScope = NewDisposeScope();
                    var batch = microBatches[m];
                    run.Continual.BeforeForward(context, batch);
                    var output = model.Forward(batch);
                    var loss = output.Loss;
                    if (run.Balance.AuxiliaryLoss(context, batch, output) is { } auxiliary) loss = loss + auxiliary;
                    if (run.Continual.ExtraLoss(context, batch, output) is { } extra) loss = loss + extra;
                    double share = tokens[m] / totalTokens;
                    double value = loss.item<float>();
                    if (!double.IsFinite(value))
                        throw new CoinUserException(
                            $"task '{task.Name}', step {step}: the loss is {value}; learning rates were {rates}. " +
                            "Lower training.learningRate or enable training.maxGradNorm.");
                    (loss * share).backward();
                    lossValue += value * share;
                }
                if (training.MaxGradNorm > 0) nn.utils.clip_grad_norm_(trainable, training.MaxGradNorm);
                run.Balance.BeforeOptimizerStep(context);
                optimizer.step();
                run.Continual.AfterStep(context);
                run.Balance.AfterOptimizerStep(context, microBatches[^1]);

                if (double.IsNaN(firstLoss)) firstLoss = lossValue;
                lastLoss = lossValue;
                context.Log("loss", lossValue);
                foreach (var group in rates.Groups) context.Log($"lr/{group}", rates.Get(group));
                progress.Advance(1, $"loss {lossValue:F3}");
            }
        }
        model.SetTraining(false);
        return new Summary(step, firstLoss, lastLoss, started.Elapsed.TotalSeconds);
    }
}
