namespace Coin.Abstractions.Plugins;

/// <summary>Well-known capability strings for <see cref="CoinPluginAttribute.Capabilities"/>. The host refuses a
/// combination whose requirements no other component provides, before training starts.</summary>
public static class PluginCapabilities
{
    /// <summary>The component needs gradients of every trainable parameter after backward (e.g. EWC's Fisher).</summary>
    public const string NeedsGradients = "needs-gradients";
    /// <summary>The component keeps a copy of the previous task's model (e.g. LwF).</summary>
    public const string NeedsPreviousModel = "needs-previous-model";
    /// <summary>The component stores training samples across tasks (e.g. replay).</summary>
    public const string NeedsStoredData = "needs-stored-data";
    /// <summary>An adapter whose injected weights can be merged into the base weights.</summary>
    public const string Mergeable = "mergeable";
    /// <summary>Prefix for extra memory as a multiple of the trainable parameters, e.g. <c>"extra-memory:2x"</c>.</summary>
    public const string ExtraMemoryPrefix = "extra-memory:";
    /// <summary>Prefix for a model component that must be trainable, e.g. <c>"requires-trainable:encoder"</c> (a balance
    /// scheduler that coordinates the encoder's and the LLM's learning rates needs both).</summary>
    public const string RequiresTrainablePrefix = "requires-trainable:";
    /// <summary>The component needs at least one trainable parameter (any optimiser-driven method does).</summary>
    public const string NeedsTrainableParameters = "needs-trainable-parameters";
}
