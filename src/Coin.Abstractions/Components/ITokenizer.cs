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

    /// <summary>The id of a special token such as <c>&lt;/s&gt;</c> (or a placeholder added by
    /// <see cref="AddPlaceholders"/>), or null when the tokenizer has none.</summary>
    int? SpecialTokenId(string token);

    /// <summary>Makes each of <paramref name="placeholders"/> a token that <see cref="Encode"/> keeps whole, split out of
    /// the text as an added token is. The host owns them (one per modality of the run, <c>&lt;image&gt;</c>,
    /// <c>&lt;audio&gt;</c>, <c>&lt;video&gt;</c>…) and calls this once, before it encodes any prompt. The id is the
    /// vocabulary's when it has the token (LLaVA's tokenizer adds <c>&lt;image&gt;</c>), else one from
    /// <see cref="VocabSize"/> up: past the embedding table, which is fine because the host replaces those positions by
    /// features before embedding. Returns the ids. Added in contract 2.1; the default serves a tokenizer that has every
    /// placeholder as a special token already.</summary>
    IReadOnlyDictionary<string, int> AddPlaceholders(IReadOnlyList<string> placeholders)
        => placeholders.Distinct().ToDictionary(p => p, p => SpecialTokenId(p)
            ?? throw new Plugins.CoinUserException($"the backbone's tokenizer has no {p} token and cannot add one (it does not implement ITokenizer.AddPlaceholders, contract 2.1)"));
}
