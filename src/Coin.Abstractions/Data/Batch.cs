using TorchSharp;

namespace Coin.Abstractions.Data;

/// <summary>Samples collated for one forward pass, tensors on the model's device. Created and disposed inside one
/// step's dispose scope; nothing may keep a reference past the step.</summary>
/// <param name="Samples">The samples, in batch order.</param>
/// <param name="InputIds">[batch, tokens] int64, right-padded with the tokenizer's pad id; each modality placeholder
/// is one token here.</param>
/// <param name="AttentionMask">[batch, tokens] int64: 1 for real tokens, 0 for padding.</param>
/// <param name="Labels">[batch, tokens] int64, unshifted:
/// label[i] is the token at i when it belongs to the answer, <see cref="IgnoreIndex"/> elsewhere.</param>
/// <param name="ModalityInputs">Per modality, the encoder-prepared input [inputs, ...] in placeholder order over the batch;
/// for a <see cref="Components.ITiledEncoder"/>, every input's tiles concatenated [tiles, ...], as
/// <see cref="TileLayouts"/> divides them.</param>
public sealed record Batch(
    IReadOnlyList<Sample> Samples,
    torch.Tensor InputIds,
    torch.Tensor AttentionMask,
    torch.Tensor Labels,
    IReadOnlyDictionary<string, torch.Tensor> ModalityInputs)
{
    /// <summary>The label value that is excluded from the loss (prompt, padding, spliced features).</summary>
    public const long IgnoreIndex = -100;

    /// <summary>Per modality of a <see cref="Components.ITiledEncoder"/>, each input's layout in placeholder order
    /// over the batch; empty for encoders of a fixed token count. Contract 2.8.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<Components.TileLayout>> TileLayouts { get; init; } =
        new Dictionary<string, IReadOnlyList<Components.TileLayout>>();
}
