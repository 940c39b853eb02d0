namespace Coin.Engine.Configuration;

/// <summary>Which command-line option set which configuration key (<c>--set training.epochs=1</c>, <c>--seed 3</c>,
/// <c>--device cuda</c>, <c>--output DIR</c>), so that an error about that key blames the option, not the
/// experiment file (or "(built-in default)") that never held it.</summary>
/// <param name="OptionOf">Dotted key path (lower case) → the option as typed.</param>
public sealed record OptionOrigins(IReadOnlyDictionary<string, string> OptionOf)
{
    public static readonly OptionOrigins None = new(new Dictionary<string, string>());

    /// <summary>The error prefixed with the option that set its key, or null when no option did.</summary>
    public string? Blame(string error) => ErrorKeys.SourceOf(error, OptionOf) is { } option ? $"{option}: {error}" : null;
}
