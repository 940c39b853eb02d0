using TorchSharp;

namespace Coin.Abstractions.Components;

/// <summary>The causal language model: token embedding, decoder, LM head, tokenizer and chat template.</summary>
/// <remarks>The host owns the instance (disposes it at the end of the run), moves <see cref="Module"/> to the run's
/// device before training, and calls <see cref="Embed"/> then <see cref="Forward"/> inside a step's dispose scope.
/// Tensors returned belong to the caller's scope.</remarks>
public interface IBackbone : IDisposable
{
    /// <summary>The module holding every parameter; adapters may inject submodules into it.</summary>
    torch.nn.Module Module { get; }

    /// <summary>Width of the token embeddings (the connector's output width).</summary>
    int HiddenSize { get; }

    /// <summary>The tokenizer matching the embedding table.</summary>
    ITokenizer Tokenizer { get; }

    /// <summary>The chat template used to build prompts.</summary>
    IChatTemplate ChatTemplate { get; }

    /// <summary>Looks up token embeddings: [batch, tokens] int64 to [batch, tokens, hidden].</summary>
    torch.Tensor Embed(torch.Tensor inputIds);

    /// <summary>Runs the decoder and LM head.</summary>
    /// <param name="inputEmbeddings">[batch, tokens, hidden].</param>
    /// <param name="attentionMask">[batch, past + tokens] int64, 1 = attend, 0 = padding; covers cached positions
    /// too. Positions are counted over the ones in the mask, so left padding works.</param>
    /// <param name="cache">Null for a full pass; a cache from <see cref="CreateCache"/> to reuse and extend past
    /// keys and values (generation).</param>
    /// <returns>Logits [batch, tokens, vocab] in float32.</returns>
    torch.Tensor Forward(torch.Tensor inputEmbeddings, torch.Tensor attentionMask, IKeyValueCache? cache = null);

    /// <summary>An empty key/value cache for incremental decoding. The caller disposes it.</summary>
    IKeyValueCache CreateCache();
}

/// <summary>Keys and values of past positions, owned by whoever created it; it holds tensors outside any step scope.</summary>
public interface IKeyValueCache : IDisposable
{
    /// <summary>Number of cached positions.</summary>
    int Length { get; }
}
