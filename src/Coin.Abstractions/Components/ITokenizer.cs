namespace Coin.Abstractions.Components;

/// <summary>Text to token ids and back.</summary>
public interface ITokenizer
{
    /// <summary>Number of ids, including special tokens.</summary>
    int VocabSize { get; }

    /// <summary>Id used to pad batches; never a target.</summary>
    int PadId { get; }

    /// <summary>Id that ends an answer; generation stops on it.</summary>
    int EosId { get; }

    /// <summary>Encodes text. Special tokens written literally in the text (e.g. <c>&lt;image&gt;</c>,
    /// <c>&lt;/s&gt;</c>) become their ids.</summary>
    IReadOnlyList<int> Encode(string text);

    /// <summary>Decodes ids to text, leaving out special tokens.</summary>
    string Decode(IEnumerable<int> ids);

    /// <summary>The id of a special token such as <c>&lt;image&gt;</c>, or null when the vocabulary lacks it.</summary>
    int? SpecialTokenId(string token);
}
