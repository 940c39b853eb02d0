namespace Coin.Abstractions.Components;

/// <summary>Optional on an <see cref="IAdapter"/>: the model components (<see cref="ComponentNames"/>) that will have
/// trainable parameters once the adapter is applied, known from its options alone.</summary>
/// <remarks>Lets the host refuse an impossible combination (a balance scheduler that needs the encoder trainable with an
/// adapter that freezes it) before the base model's first stage spends minutes. The host checks the declaration
/// against the groups <see cref="IAdapter.Apply"/> returns. An adapter without it is checked after it is applied.
/// Added in contract 1.1.</remarks>
public interface IDeclaresTrainableParts
{
    IReadOnlySet<string> TrainableParts { get; }
}
