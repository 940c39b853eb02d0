namespace Coin.Abstractions.Plugins;

/// <summary>Well-known capability strings for <see cref="CoinPluginAttribute.Capabilities"/>. Each one the host
/// checks before training starts (and before the base model's first stage), refusing a combination that cannot run
/// with a message naming the component, the capability and why.</summary>
public static class PluginCapabilities
{
    /// <summary>Prefix for extra memory as a multiple of the trainable parameters, e.g. <c>"extra-memory:2x"</c>
    /// (EMA copies, a Fisher, a previous model): added to the weights, gradients and AdamW state and compared with the
    /// memory available.</summary>
    public const string ExtraMemoryPrefix = "extra-memory:";
    /// <summary>Prefix for a model component that must be trainable, e.g. <c>"requires-trainable:encoder"</c> (a balance
    /// scheduler that coordinates the encoder's and the LLM's learning rates needs both).</summary>
    public const string RequiresTrainablePrefix = "requires-trainable:";
    /// <summary>The component needs at least one trainable parameter (any optimiser-driven method does).</summary>
    public const string NeedsTrainableParameters = "needs-trainable-parameters";
    /// <summary>The component keeps state per trainable parameter from the set it sees at the first task (EMA copies, a
    /// Fisher, importance, a teacher's weights), so it cannot follow an adapter whose trainable set changes from task
    /// to task (<see cref="Components.IAdapterLifecycle"/>): the host refuses that combination. Added in contract 2.1.</summary>
    public const string FixedTrainableSet = "fixed-trainable-set";
    /// <summary>The component takes gradients of its own through the model's forward pass with
    /// <c>torch.autograd.grad</c> (CoMMIT's auxiliary term). Activation checkpointing recomputes layers inside the
    /// backward pass and adds their parameters' gradients to <c>.grad</c>, which such a call would neither get nor
    /// expect, so the host refuses the two together. Added in contract 2.2.</summary>
    public const string DifferentiatesForward = "differentiates-forward";

    /// <summary>Descriptive only: the host does not check it.</summary>
    [Obsolete("not checked by the host: every component sees the gradients after backward; declare nothing")]
    public const string NeedsGradients = "needs-gradients";
    /// <summary>Descriptive only: the host does not check it.</summary>
    [Obsolete("not checked by the host: declare the copy as extra-memory:1x instead")]
    public const string NeedsPreviousModel = "needs-previous-model";
    /// <summary>Descriptive only: the host does not check it.</summary>
    [Obsolete("not checked by the host; declare nothing")]
    public const string NeedsStoredData = "needs-stored-data";
    /// <summary>Descriptive only: the host does not check it.</summary>
    [Obsolete("not checked by the host; declare nothing")]
    public const string Mergeable = "mergeable";

    /// <summary>The capabilities the host checks; any other string on a plugin is listed as ignored by <c>coin plugins</c>, and warned of before a run.</summary>
    public static bool IsChecked(string capability)
        => capability == NeedsTrainableParameters
           || capability == FixedTrainableSet
           || capability == DifferentiatesForward
           || ExtraMemoryMultiple(capability) is not null
           || capability.StartsWith(RequiresTrainablePrefix, StringComparison.Ordinal);

    /// <summary>N of <c>"extra-memory:Nx"</c> (the <c>x</c> may be left out), a finite N ≥ 0; null for any other string,
    /// or an N the host cannot read.</summary>
    public static double? ExtraMemoryMultiple(string capability)
    {
        if (!capability.StartsWith(ExtraMemoryPrefix, StringComparison.Ordinal)) return null;
        string multiple = capability[ExtraMemoryPrefix.Length..];
        if (multiple.EndsWith('x')) multiple = multiple[..^1];
        return double.TryParse(multiple, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double n)
               && n >= 0 && double.IsFinite(n) ? n : null;
    }
}
