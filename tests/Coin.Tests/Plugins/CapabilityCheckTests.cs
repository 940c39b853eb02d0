using Coin.Engine.Composition;
using Coin.Engine.Plugins;

namespace Coin.Tests.Plugins;

/// <summary>Impossible combinations are refused before training, with the component and the reason.</summary>
public class CapabilityCheckTests
{
    private static DeclaredCapabilities Declared(params string[] capabilities) => DeclaredCapabilities.Parse(capabilities);

    private static readonly Dictionary<string, long> LoraOnBackboneOnly = new() { ["encoder"] = 0, ["connector"] = 0, ["backbone"] = 1_000_000 };

    [Test]
    public void A_scheduler_that_needs_the_encoder_trainable_is_refused_when_the_adapter_freezes_it()
    {
        var problems = CapabilityCheck.Problems([("balance", "commit", Declared("requires-trainable:encoder", "requires-trainable:backbone"))], LoraOnBackboneOnly, null);
        Assert.That(problems, Has.Count.EqualTo(1));
        Assert.That(problems[0], Does.Contain("balance: 'commit' needs the encoder to be trainable").And.Contain("trainable: backbone"));
    }

    [Test]
    public void Extra_copies_that_do_not_fit_in_memory_are_refused_with_their_cost()
    {
        // 1M trainable float32 parameters: gradients + AdamW 12 MB, EWC's two copies 8 MB.
        var components = new[] { ("continual", "ewc", Declared("extra-memory:2x")) };
        Assert.That(CapabilityCheck.Problems(components, LoraOnBackboneOnly, availableBytes: 21_000_000), Is.Empty);
        var problems = CapabilityCheck.Problems(components, LoraOnBackboneOnly, availableBytes: 19_000_000);
        Assert.That(problems, Has.Count.EqualTo(1));
        Assert.That(problems[0], Does.Contain("continual 'ewc' 0.01 GiB").And.Contain("0.02 GiB are available"));
    }

    [Test]
    public void Possible_combinations_pass()
        => Assert.That(CapabilityCheck.Problems([("continual", "llaca", Declared("needs-gradients", "extra-memory:2x"))], LoraOnBackboneOnly, 1L << 40), Is.Empty);

    [Test]
    public void Only_the_methods_that_keep_state_over_the_first_tasks_parameters_are_named_for_a_per_task_adapter()
    {
        var problems = CapabilityCheck.FixedSetProblems([("model.adapter", "lora-bank", Declared()), ("continual.0", "replay", Declared()),
            ("continual.1", "si", Declared("extra-memory:6x", "fixed-trainable-set"))]);
        Assert.That(problems, Has.Count.EqualTo(1));
        Assert.That(problems[0], Does.StartWith("continual.1: 'si' keeps state over the parameters trained at the first task").And.Contain("model.adapter 'lora-bank'"));
    }

    [Test]
    public void Capability_strings_are_read_once_into_typed_values_and_what_cannot_be_read_is_warned_of()
    {
        var read = Declared("extra-memory:2x", "extra-memory:0.5x", "extra-memory:1", "requires-trainable:encoder", "needs-trainable-parameters",
            "fixed-trainable-set", "differentiates-forward", "extra-memory:lots", "mergeable", "extra-memory:-1x");
        Assert.That((read.ExtraMemoryMultiple, read.NeedsTrainableParameters, read.FixedTrainableSet, read.DifferentiatesForward), Is.EqualTo((3.5, true, true, true)),
            "'extra-memory:1' without the x is still read");
        Assert.That(read.RequiresTrainable, Is.EqualTo(new[] { "encoder" }));
        Assert.That(CapabilityCheck.Unchecked([("continual", "x", read)]), Is.EqualTo(new[]
        {
            "continual: 'x' declares the capability 'extra-memory:lots', which the host cannot read (expected extra-memory:Nx, N ≥ 0); it is ignored",
            "continual: 'x' declares the capability 'mergeable', which the host does not check; it is ignored",
            "continual: 'x' declares the capability 'extra-memory:-1x', which the host cannot read (expected extra-memory:Nx, N ≥ 0); it is ignored",
        }));
        Assert.That(new[] { "extra-memory:2x", "extra-memory:2", "extra-memory:lots", "extra-memory:-1x", "mergeable" }.Select(Coin.Abstractions.Plugins.PluginCapabilities.IsChecked),
            Is.EqualTo(new[] { true, true, false, false, false }), "the contract's IsChecked agrees with what the host reads");
        Assert.That(Declared(), Is.EqualTo(DeclaredCapabilities.None).Using<DeclaredCapabilities>((a, b) =>
            a.ExtraMemoryMultiple == b.ExtraMemoryMultiple && a.RequiresTrainable.Count == b.RequiresTrainable.Count && a.Ignored.Count == b.Ignored.Count));
    }
}
