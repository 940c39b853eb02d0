namespace Coin.Abstractions.Data;

/// <summary>A task stream that also offers data for training a base model before the stream, as CoIN starts from a
/// pretrained LLaVA: first-stage data (LLaVA's feature alignment: image–caption conversations) and, optionally,
/// second-stage data (LLaVA's visual instruction tuning: a mix of instructions that are not the stream's tasks).</summary>
/// <remarks>Optional: the host trains a base model only when the source implements this and returns samples.</remarks>
public interface IPretrainingSource
{
    /// <summary>The first-stage samples in a fixed order; empty when the source has none.</summary>
    IReadOnlyList<Sample> LoadPretraining();

    /// <summary>The second-stage samples (general instructions, trained after the first stage with
    /// <c>pretraining.instructions</c>) in a fixed order; empty when the source has none. Added in contract 1.4.</summary>
    IReadOnlyList<Sample> LoadInstructionTuning() => [];
}
