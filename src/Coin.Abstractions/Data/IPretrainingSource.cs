namespace Coin.Abstractions.Data;

/// <summary>A task stream that also offers first-stage data (LLaVA's feature alignment: image–caption
/// conversations) for training a base model before the stream, as CoIN starts from a pretrained LLaVA.</summary>
/// <remarks>Optional: the host trains a base model only when the source implements this and returns samples.</remarks>
public interface IPretrainingSource
{
    /// <summary>The first-stage samples in a fixed order; empty when the source has none.</summary>
    IReadOnlyList<Sample> LoadPretraining();
}
