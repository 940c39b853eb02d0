namespace Coin.Abstractions.Data;

/// <summary>Where a modality input's features go in an instruction: its modality's name in angle brackets
/// (<c>&lt;image&gt;</c>, <c>&lt;audio&gt;</c>, <c>&lt;video&gt;</c>…), one per input in input order. The host owns them
/// (contract 2.1): it makes them tokens of the backbone's tokenizer (<see cref="Components.ITokenizer.AddPlaceholders"/>)
/// and splices each input's features at its placeholder, so a new modality needs no tokenizer change.</summary>
public static class Placeholders
{
    /// <summary>The placeholder of <paramref name="modality"/>.</summary>
    public static string Of(string modality) => $"<{modality}>";

    /// <summary>The placeholders of a sample's inputs, each once.</summary>
    public static IEnumerable<string> In(Sample sample) => sample.Inputs.Select(i => Of(i.Modality)).Distinct();
}
