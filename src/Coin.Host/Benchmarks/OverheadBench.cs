using System.Diagnostics;
using Coin.Abstractions.Data;
using Coin.Engine.Composition;
using Coin.Engine.Configuration;
using Coin.Engine.Results;
using Coin.Engine.Running;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Coin.Host.Benchmarks;

/// <summary>A training step through the host (data from files, collation, splice, scheduler, updater, logging,
/// clipping, AdamW) against a bare TorchSharp loop doing the same math on batches prepared once.</summary>
public static class OverheadBench
{
    /// <param name="CollateMilliseconds">Of the host's step: turning 16 samples into a batch (chat template, tokenizer,
    /// prepared inputs from the cache, tensors), timed alone.</param>
    /// <param name="SpliceMilliseconds">Of the host's step: the splice plan and gather, forward only, timed alone.</param>
    /// <param name="Ratios">Per interleaved block: host ms/step ÷ bare ms/step − 1.</param>
    public sealed record Result(double HostMilliseconds, double BareMilliseconds, double CollateMilliseconds, double SpliceMilliseconds, IReadOnlyList<double> Ratios)
    {
        /// <summary>The median of the per-block overheads: on a noisy machine one slow block moves a mean, not this.</summary>
        public double Overhead => Statistics.Median(Ratios);
        public double LowerQuartile => Statistics.Quantile(Ratios, 0.25);
        public double UpperQuartile => Statistics.Quantile(Ratios, 0.75);
    }

    public static Result Measure(ComposedExperiment run, TrainingConfig training, int steps, int blocks)
    {
        var task = run.Data.Tasks[0];
        var samples = run.Data.LoadTrain(task);
        int batch = training.BatchSize;
        var config = new TrainingConfig { Epochs = Math.Max(1, steps * batch / samples.Count), BatchSize = batch, LearningRate = training.LearningRate, MaxGradNorm = training.MaxGradNorm };
        var trainer = TaskTrainer.For(run, config, new StepLog(), seed: 0);
        var bareBatches = samples.Chunk(batch).Where(c => c.Length == batch).Select(c => Bare.Prepare(run, c)).ToList();
        using var bare = new Bare(run, training);

        // Interleaved blocks, so drift of a noisy machine hits both sides alike.
        double host = 0, hostSteps = 0, bareTime = 0, bareSteps = 0;
        var ratios = new List<double>(blocks);
        trainer.Train(task, samples.Take(batch * 2).ToList(), 1, new NullProgress());
        for (int i = 0; i < 3; i++) bare.Step(bareBatches[i % bareBatches.Count]);
        for (int block = 0; block < blocks; block++)
        {
            var summary = trainer.Train(task, samples, 2 + block, new NullProgress());
            host += summary.Seconds * 1000;
            hostSteps += summary.Steps;
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < summary.Steps; i++) bare.Step(bareBatches[i % bareBatches.Count]);
            double bareBlock = clock.Elapsed.TotalMilliseconds;
            bareTime += bareBlock;
            bareSteps += summary.Steps;
            ratios.Add(summary.Seconds * 1000 / bareBlock - 1);
        }
        var chunks = samples.Chunk(batch).ToList();
        var collateClock = Stopwatch.StartNew();
        for (int i = 0; i < 32; i++)
        {
            using var scope = NewDisposeScope();
            run.Model.Collator.Collate(chunks[i % chunks.Count], includeAnswer: true);
        }
        double collate = collateClock.Elapsed.TotalMilliseconds / 32;
        double splice;
        // The four batches live in their own scope, freed when the splice timing ends.
        using (NewDisposeScope())
        using (no_grad())
        {
            var batches = chunks.Take(4).Select(c => run.Model.Collator.Collate(c, includeAnswer: true)).ToList();
            var spliceClock = Stopwatch.StartNew();
            for (int i = 0; i < 32; i++)
            {
                using var scope = NewDisposeScope();
                run.Model.Splice(batches[i % batches.Count], padLeft: false);
            }
            splice = spliceClock.Elapsed.TotalMilliseconds / 32;
        }
        return new Result(host / hostSteps, bareTime / bareSteps, collate, splice, ratios);
    }

    /// <summary>What a user would write by hand: image features first, then the prompt, right padding, one AdamW.</summary>
    private sealed class Bare : IDisposable
    {
        private readonly ComposedExperiment run;
        private readonly TorchSharp.Modules.AdamW optimizer;
        private readonly List<Parameter> parameters;
        private readonly double maxGradNorm;

        public Bare(ComposedExperiment run, TrainingConfig training)
        {
            this.run = run;
            parameters = run.Model.TrainableGroups.SelectMany(g => g.Parameters).ToList();
            optimizer = optim.AdamW(parameters, lr: training.LearningRate);
            maxGradNorm = training.MaxGradNorm;
        }

        public sealed record Prepared(Tensor Ids, Tensor Mask, Tensor Labels, Tensor Images, int ImageAt);

        /// <summary>Tensors made once, outside the timing, as a hand-written loop keeps its dataset in memory.</summary>
        public static Prepared Prepare(ComposedExperiment run, IReadOnlyList<Sample> samples)
        {
            var batch = run.Model.Collator.Collate(samples, includeAnswer: true);
            long[] ids = batch.InputIds.data<long>().ToArray();
            int at = Array.FindIndex(ids, id => run.Model.Collator.ModalityOf(id) is not null);
            var keep = cat([arange(0, at), arange(at + 1, batch.InputIds.shape[1])]);
            var prepared = new Prepared(batch.InputIds.index_select(1, keep), batch.AttentionMask.index_select(1, keep),
                batch.Labels.index_select(1, keep), batch.ModalityInputs["image"], at);
            foreach (var t in new[] { prepared.Ids, prepared.Mask, prepared.Labels, prepared.Images }) t.DetachFromDisposeScope();
            return prepared;
        }

        public void Step(Prepared p)
        {
            using var scope = NewDisposeScope();
            var model = run.Model;
            var features = model.Connectors["image"].Project(model.Encoders["image"].Encode(p.Images));
            var text = model.Backbone.Embed(p.Ids);
            long rows = p.Ids.shape[0], tokens = features.shape[1];
            var embeddings = cat([text.narrow(1, 0, p.ImageAt), features, text.narrow(1, p.ImageAt, text.shape[1] - p.ImageAt)], 1);
            var mask = cat([p.Mask.narrow(1, 0, p.ImageAt), ones(rows, tokens, dtype: ScalarType.Int64), p.Mask.narrow(1, p.ImageAt, p.Mask.shape[1] - p.ImageAt)], 1);
            var labels = cat([p.Labels.narrow(1, 0, p.ImageAt), full(rows, tokens, Batch.IgnoreIndex, dtype: ScalarType.Int64),
                p.Labels.narrow(1, p.ImageAt, p.Labels.shape[1] - p.ImageAt)], 1);
            var logits = model.Backbone.Forward(embeddings, mask);
            long length = logits.shape[1];
            var loss = F.cross_entropy(logits.narrow(1, 0, length - 1).reshape(-1, logits.shape[2]), labels.narrow(1, 1, length - 1).reshape(-1),
                ignore_index: Batch.IgnoreIndex);
            optimizer.zero_grad();
            loss.backward();
            if (maxGradNorm > 0) nn.utils.clip_grad_norm_(parameters, maxGradNorm);
            optimizer.step();
        }

        public void Dispose() => optimizer.Dispose();
    }
}
