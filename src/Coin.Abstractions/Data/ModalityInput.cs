namespace Coin.Abstractions.Data;

/// <summary>One raw input of one modality, before its encoder prepares it. Either a file (<see cref="Path"/>,
/// absolute) or values held in memory (<see cref="Values"/> with <see cref="Shape"/>, e.g. an image as
/// [channels, height, width] floats in 0..1 or audio as [samples] at <see cref="SampleRate"/>).</summary>
/// <remarks>Plain arrays, not tensors: samples live across many steps and must not hold native memory.</remarks>
public sealed record ModalityInput(string Modality, string? Path = null, float[]? Values = null, int[]? Shape = null, int SampleRate = 0);
