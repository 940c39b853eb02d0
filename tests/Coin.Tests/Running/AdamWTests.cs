using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Tests.Running;

/// <summary>Coin's AdamW frees each parameter's temporaries as it goes; its updates and its state file must be
/// TorchSharp's own, bit for bit, so that runs and checkpoints from before it are unchanged.</summary>
public class AdamWTests
{
    private static List<Parameter> Parameters(int seed)
    {
        manual_seed(seed);
        return [new Parameter(randn(7, 5)), new Parameter(randn(11)), new Parameter(randn(3, 4)), new Parameter(randn(2))];
    }

    private static TorchSharp.Modules.AdamW.ParamGroup[] Groups(List<Parameter> p) =>
    [
        new(p.Take(2), lr: 3e-3, weight_decay: 0.1),
        new(p.Skip(2), lr: 7e-4, weight_decay: 0.0),
    ];

    /// <summary>Five steps of random gradients (the last parameter never gets one), the rates changed between steps
    /// as the schedule does.</summary>
    private static void Train(OptimizerHelper optimizer, List<Parameter> parameters, int firstStep, int steps)
    {
        for (int step = firstStep; step < firstStep + steps; step++)
        {
            using var scope = NewDisposeScope();
            manual_seed(100 + step);
            for (int i = 0; i < parameters.Count - 1; i++) parameters[i].grad = randn(parameters[i].shape);
            foreach (var group in optimizer.ParamGroups) group.LearningRate *= 0.9;
            optimizer.step();
        }
    }

    [Test]
    public void Updates_equal_TorchSharps_AdamW_bit_for_bit()
    {
        using var scope = NewDisposeScope();
        var theirs = Parameters(1);
        var ours = Parameters(1);
        using var reference = new TorchSharp.Modules.AdamW(Groups(theirs), weight_decay: 0.1);
        using var optimizer = new Coin.Engine.Running.AdamW(Groups(ours), 1e-3, 0.1);
        Train(reference, theirs, 0, 5);
        Train(optimizer, ours, 0, 5);
        for (int i = 0; i < ours.Count; i++)
            Assert.That(ours[i].eq(theirs[i]).all().item<bool>(), $"parameter {i}");
        Assert.That(ours[0].eq(Parameters(1)[0]).all().item<bool>(), Is.False, "the parameters did move");
    }

    [Test]
    public void State_files_are_interchangeable_with_TorchSharps_AdamW()
    {
        using var scope = NewDisposeScope();
        string path = Path.Combine(Path.GetTempPath(), $"coin-adamw-{Guid.NewGuid():N}.bin");
        var theirs = Parameters(2);
        var ours = Parameters(2);
        using (var before = new TorchSharp.Modules.AdamW(Groups(theirs), weight_decay: 0.1))
        {
            Train(before, theirs, 0, 3);
            before.save_state_dict(path);
        }
        for (int i = 0; i < ours.Count; i++) using (no_grad()) ours[i].copy_(theirs[i]);
        using var reference = new TorchSharp.Modules.AdamW(Groups(theirs), weight_decay: 0.1);
        reference.load_state_dict(path);
        using var optimizer = new Coin.Engine.Running.AdamW(Groups(ours), 1e-3, 0.1);
        optimizer.load_state_dict(path);
        Train(reference, theirs, 3, 2);
        Train(optimizer, ours, 3, 2);
        for (int i = 0; i < ours.Count; i++)
            Assert.That(ours[i].eq(theirs[i]).all().item<bool>(), $"parameter {i} after resuming from TorchSharp's state");
        File.Delete(path);
    }
}
