using System.Collections.Concurrent;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Engine.Modeling;
using static TorchSharp.torch;

namespace Coin.Tests.Modeling;

/// <summary>Background workers prepare the coming steps' inputs: the collator gets the tensors it would have prepared
/// itself, a worker's error reaches it as its own would have, and nothing a step left untaken outlives the window.</summary>
public class InputPrefetcherTests
{
    /// <summary>Prepares a file as [2] values of its name's length; "bad" files throw; an optional gate holds every
    /// preparation until the test opens it.</summary>
    private sealed class FakeEncoder(ManualResetEventSlim? gate = null) : IEncoder
    {
        public readonly ConcurrentBag<int> Threads = [];
        public int Prepared;
        public string Modality => "image";
        public nn.Module Module => throw new NotSupportedException();
        public int OutputDim => 2;
        public int TokensPerInput => 1;

        public Tensor Prepare(IReadOnlyList<ModalityInput> inputs)
        {
            gate?.Wait();
            Threads.Add(Environment.CurrentManagedThreadId);
            Interlocked.Add(ref Prepared, inputs.Count);
            if (inputs.Any(i => i.Path!.StartsWith("bad"))) throw new CoinUserException($"{inputs.First(i => i.Path!.StartsWith("bad")).Path}: not a readable PNG or JPEG image");
            return stack(inputs.Select(i => full(2, (float)i.Path!.Length)).ToArray());
        }

        public Tensor Encode(Tensor prepared) => prepared;
        public void Dispose() { }
    }

    private static Sample Row(string file) => new(file, "task", [new ModalityInput("image", file)], "<image>", "");

    /// <summary>Two samples a step, files named by step: step s holds "s-a" and "s-bb" (lengths 3 and 4 for s &lt; 10).</summary>
    private static IReadOnlyList<Sample> Step(int step) => [Row($"{step}-a"), Row($"{step}-bb")];

    private static InputPrefetcher Prefetcher(FakeEncoder encoder, int workers, int ahead, int steps, Func<int, IReadOnlyList<Sample>> samples, Func<IEncoder, ModalityInput, int, bool>? known = null)
        => new(new Dictionary<string, IEncoder> { ["image"] = encoder }, workers, ahead, steps, samples, known ?? ((_, _, _) => false));

    [Test]
    public void The_collator_gets_from_the_workers_what_it_would_have_prepared()
    {
        var encoder = new FakeEncoder();
        var direct = new FakeEncoder();
        using var cache = new PreparedInputCache(0);
        using var prefetcher = Prefetcher(encoder, workers: 2, ahead: 2, steps: 4, Step);
        cache.Prefetcher = prefetcher;
        for (int step = 0; step < 4; step++)
        {
            using var scope = NewDisposeScope();
            prefetcher.Advance(step);
            // As a training step would, let the workers finish what is scheduled: steps up to step + 1.
            int scheduled = 2 * Math.Min(step + 2, 4);
            Assert.That(SpinWait.SpinUntil(() => Volatile.Read(ref encoder.Prepared) == scheduled, TimeSpan.FromSeconds(30)), Is.True);
            var inputs = Step(step).SelectMany(s => s.Inputs).ToList();
            Assert.That(cache.Prepare(encoder, inputs).Values.data<float>().ToArray(), Is.EqualTo(direct.Prepare(inputs).data<float>().ToArray()), $"step {step}");
        }
        Assert.That(prefetcher.Scheduled, Is.EqualTo(8));
        Assert.That(prefetcher.Taken, Is.EqualTo(8), "every input came from a worker");
        Assert.That(encoder.Prepared, Is.EqualTo(8), "and none was prepared twice");
        Assert.That(encoder.Threads, Does.Not.Contain(Environment.CurrentManagedThreadId), "all on worker threads");
    }

    [Test]
    public void Only_the_window_is_scheduled_and_inputs_the_cache_holds_are_not()
    {
        var encoder = new FakeEncoder();
        using var prefetcher = Prefetcher(encoder, workers: 1, ahead: 2, steps: 10, Step, known: (_, input, _) => input.Path == "1-a");
        prefetcher.Advance(0);
        Assert.That(prefetcher.Scheduled, Is.EqualTo(3), "steps 0 and 1, less the cached 1-a");
        prefetcher.Advance(1);
        Assert.That(prefetcher.Scheduled, Is.EqualTo(5), "step 2 added");
        prefetcher.Advance(9);
        Assert.That(prefetcher.Scheduled, Is.EqualTo(7), "a jump schedules from there, and never past the last step");
    }

    [Test]
    public void A_worker_error_is_thrown_where_the_collator_takes_the_input()
    {
        var encoder = new FakeEncoder();
        using var cache = new PreparedInputCache(0);
        using var prefetcher = Prefetcher(encoder, workers: 1, ahead: 1, steps: 1, _ => [Row("bad.png")]);
        cache.Prefetcher = prefetcher;
        prefetcher.Advance(0);
        SpinWait.SpinUntil(() => encoder.Prepared == 1, TimeSpan.FromSeconds(10));
        var error = Assert.Throws<CoinUserException>(() => cache.Prepare(encoder, [new ModalityInput("image", "bad.png")]));
        Assert.That(error!.Message, Is.EqualTo("bad.png: not a readable PNG or JPEG image"));
    }

    [Test]
    public void An_input_no_worker_has_started_is_prepared_by_the_collator_and_skipped_by_the_workers()
    {
        using var gate = new ManualResetEventSlim(false);
        var encoder = new FakeEncoder(gate);
        using var prefetcher = Prefetcher(encoder, workers: 1, ahead: 1, steps: 1, Step);
        prefetcher.Advance(0);
        // The one worker is held in "0-a"; "0-bb" waits in the queue.
        Thread.Sleep(100);
        Assert.That(prefetcher.TryTake(new ModalityInput("image", "0-bb")), Is.Null, "not started: the caller prepares it");
        gate.Set();
        using var first = prefetcher.TryTake(new ModalityInput("image", "0-a"))!.Values;
        Assert.That(first.data<float>().ToArray(), Is.EqualTo(new float[] { 3, 3 }));
        prefetcher.Dispose();
        Assert.That(encoder.Prepared, Is.EqualTo(1), "the worker skipped the input the caller claimed");
    }

    [Test]
    public void Untaken_inputs_are_dropped_when_their_step_passes_and_disposal_waits_for_busy_workers()
    {
        using var gate = new ManualResetEventSlim(false);
        var encoder = new FakeEncoder(gate);
        var prefetcher = Prefetcher(encoder, workers: 2, ahead: 3, steps: 6, Step);
        prefetcher.Advance(0);
        prefetcher.Advance(2);   // steps 0 and 1 passed untaken (their files were found elsewhere)
        Assert.That(prefetcher.TryTake(new ModalityInput("image", "0-a")), Is.Null, "a passed step's input is gone");
        gate.Set();
        Assert.That(() => prefetcher.Dispose(), Throws.Nothing);
        Assert.That(prefetcher.TryTake(new ModalityInput("image", "2-a")), Is.Null, "nothing is handed out after disposal");
    }
}
