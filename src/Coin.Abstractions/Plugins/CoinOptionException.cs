namespace Coin.Abstractions.Plugins;

/// <summary>A user mistake in one of the throwing component's options, or in how it is set up, which the host names
/// with the component's configuration key: a plugin throws <c>new CoinOptionException("featureLayer", "24 is outside
/// the tower's 24 layers")</c> and the user reads <c>model.encoders.image.options.featureLayer: 24 is outside the
/// tower's 24 layers</c> (or <c>continual[1].options.…</c>, wherever the experiment put the component). With no option,
/// the message is about the component as a whole: <c>model.adapter: …</c>. Plugins so name no key of the host's.</summary>
/// <remarks>Contract 2.6. Until the host adds the key, <see cref="Exception.Message"/> names the option alone.</remarks>
public sealed class CoinOptionException(string? option, string detail, Exception? inner = null)
    : CoinUserException(option is null ? detail : $"options.{option}: {detail}", inner)
{
    /// <summary>The option's name under the component's <c>options</c> (dotted for nested ones), or null.</summary>
    public string? Option => option;

    /// <summary>What is wrong, without the key.</summary>
    public string Detail => detail;

    /// <summary>The message with the component's key path in front, as the host shows it.</summary>
    public CoinUserException At(string keyPath) => new($"{keyPath}{(option is null ? "" : ".options." + option)}: {detail}", this);
}
