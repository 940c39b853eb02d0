using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using static TorchSharp.torch;

namespace Coin.Engine.Modeling;

/// <summary>Prepares the file inputs of the coming training steps on background threads (<c>data.workers</c>) while
/// the current step computes, so that a step finds its images and audio decoded, resized and normalised.</summary>
/// <remarks>
/// <para>The trainer knows every step's samples in advance (each epoch's order is a function of the seed), so the
/// window is a list of steps, not a stream of guesses: <see cref="Advance"/> before step k drops what steps before k
/// left untaken and schedules the inputs of steps k … k + <c>stepsAhead</c> − 1, in step order. The collator then
/// takes a prepared input by its file (<see cref="TryTake"/>); whatever it does not find there it prepares itself.
/// Results are therefore those without workers, whatever the timing: <see cref="IEncoder.Prepare"/> is a function of
/// the input alone, and nothing random runs on a worker.</para>
/// <para>Tensors made on a worker belong to no dispose scope (scopes are per thread); each is owned by its slot until
/// taken, then by the caller, and the prefetcher disposes every one not taken.</para>
/// </remarks>
public sealed class InputPrefetcher : IDisposable
{
    private sealed class Slot(int step, IEncoder encoder, ModalityInput input, int inputsInSample)
    {
        public readonly int Step = step;
        public readonly IEncoder Encoder = encoder;
        public readonly ModalityInput Input = input;
        public readonly int InputsInSample = inputsInSample;
        public readonly TaskCompletionSource<PreparedInput> Result = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Claimed;   // 1 once a worker started it or the prefetcher cancelled it
    }

    private readonly IReadOnlyDictionary<string, IEncoder> encoders;
    private readonly Func<int, IReadOnlyList<Sample>> stepSamples;
    private readonly Func<IEncoder, ModalityInput, int, bool> alreadyPrepared;
    private readonly int stepCount, stepsAhead;
    private readonly Channel<Slot> queue = Channel.CreateUnbounded<Slot>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly Task[] workers;
    private readonly LinkedList<Slot> window = new();
    private readonly Dictionary<(string Modality, string Path, int InputsInSample), LinkedList<Slot>> byFile = [];
    private readonly List<Slot> dropped = [];   // started by a worker, never taken: disposed once done
    private int scheduledUpTo;
    private bool disposed;

    /// <param name="stepSamples">The samples of step i of the task (0-based).</param>
    /// <param name="alreadyPrepared">True for an input the collator will find elsewhere (its prepared-input cache):
    /// not scheduled.</param>
    public InputPrefetcher(IReadOnlyDictionary<string, IEncoder> encoders, int workerCount, int stepsAhead, int stepCount,
        Func<int, IReadOnlyList<Sample>> stepSamples, Func<IEncoder, ModalityInput, int, bool> alreadyPrepared)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workerCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stepsAhead, 1);
        this.encoders = encoders;
        this.stepSamples = stepSamples;
        this.alreadyPrepared = alreadyPrepared;
        this.stepCount = stepCount;
        this.stepsAhead = stepsAhead;
        workers = Enumerable.Range(0, workerCount).Select(_ => Task.Factory.StartNew(Work, CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap()).ToArray();
    }

    /// <summary>Inputs scheduled so far, and those the collator took prepared.</summary>
    public int Scheduled { get; private set; }
    public int Taken { get; private set; }

    /// <summary>Before step <paramref name="step"/>: drops earlier steps' untaken inputs and schedules up to
    /// <c>stepsAhead</c> steps from this one. Called on the training thread only.</summary>
    public void Advance(int step)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        while (window.First is { } first && first.Value.Step < step) Drop(first.Value);
        DisposeFinished(dropped);
        scheduledUpTo = Math.Max(scheduledUpTo, step);
        for (; scheduledUpTo < Math.Min(stepCount, step + stepsAhead); scheduledUpTo++)
            foreach (var sample in stepSamples(scheduledUpTo))
                foreach (var input in sample.Inputs)
                {
                    int inputsInSample = sample.Inputs.Count(i => i.Modality == input.Modality);
                    if (input.Path is null || !encoders.TryGetValue(input.Modality, out var encoder) || alreadyPrepared(encoder, input, inputsInSample)) continue;
                    var slot = new Slot(scheduledUpTo, encoder, input, inputsInSample);
                    window.AddLast(slot);
                    var key = Key(slot);
                    if (!byFile.TryGetValue(key, out var list)) byFile[key] = list = new LinkedList<Slot>();
                    list.AddLast(slot);
                    queue.Writer.TryWrite(slot);
                    Scheduled++;
                }
    }

    /// <summary>The prepared input for this file (<see cref="PreparedInputCache.PrepareOne"/>), waiting for its worker
    /// if it is under way; null when none is scheduled. A worker's error (an unreadable file) is thrown here, as the
    /// collator would have thrown it. The caller owns the tensor.</summary>
    public PreparedInput? TryTake(ModalityInput input, int inputsInSample = 1)
    {
        if (disposed || input.Path is null || !encoders.TryGetValue(input.Modality, out var encoder)
            || !byFile.TryGetValue(PreparedInputCache.Key(encoder, input, inputsInSample), out var list)) return null;
        var slot = list.First!.Value;
        Forget(slot);
        if (!slot.Result.Task.IsCompleted)
        {
            // Not started yet: prepare it here rather than wait behind other inputs.
            if (Interlocked.Exchange(ref slot.Claimed, 1) == 0) return null;
            // The trainer times the whole collation, this wait included (inputWaitSeconds).
            ((IAsyncResult)slot.Result.Task).AsyncWaitHandle.WaitOne();
        }
        if (slot.Result.Task.IsFaulted) ExceptionDispatchInfo.Throw(slot.Result.Task.Exception!.InnerException!);
        Taken++;
        return slot.Result.Task.Result;
    }

    private async Task Work()
    {
        await foreach (var slot in queue.Reader.ReadAllAsync())
        {
            if (Interlocked.Exchange(ref slot.Claimed, 1) != 0) continue;
            try
            {
                slot.Result.SetResult(PreparedInputCache.PrepareOne(slot.Encoder, slot.Input, slot.InputsInSample));
            }
            catch (Exception e)
            {
                slot.Result.SetException(e);
            }
        }
    }

    private static (string, string, int) Key(Slot slot) => PreparedInputCache.Key(slot.Encoder, slot.Input, slot.InputsInSample);

    private void Forget(Slot slot)
    {
        window.Remove(slot);
        var key = Key(slot);
        var list = byFile[key];
        list.Remove(slot);
        if (list.Count == 0) byFile.Remove(key);
    }

    /// <summary>An input nobody took: cancelled if no worker started it, else disposed once its worker is done.</summary>
    private void Drop(Slot slot)
    {
        Forget(slot);
        if (Interlocked.Exchange(ref slot.Claimed, 1) != 0) dropped.Add(slot);
    }

    private static void DisposeFinished(List<Slot> slots)
    {
        foreach (var slot in slots.Where(s => s.Result.Task.IsCompleted))
            if (slot.Result.Task.IsCompletedSuccessfully) slot.Result.Task.Result.Values.Dispose();
        slots.RemoveAll(s => s.Result.Task.IsCompleted);
    }

    /// <summary>Stops the workers after the inputs they have started, and disposes every prepared input not taken.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        while (window.First is { } first) Drop(first.Value);
        queue.Writer.TryComplete();
        Task.WaitAll(workers);   // a worker keeps each error in its slot, so none ends here
        DisposeFinished(dropped);
    }
}
