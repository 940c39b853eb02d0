using Coin.Abstractions.Data;
using TorchSharp;

namespace Coin.Abstractions.Components;

/// <summary>The assembled model, as the host gives it to adapters, schedulers and updaters.</summary>
public interface IMultimodalModel
{
    /// <summary>The language model.</summary>
    IBackbone Backbone { get; }

    /// <summary>Encoders by modality.</summary>
    IReadOnlyDictionary<string, IEncoder> Encoders { get; }

    /// <summary>Connectors by modality.</summary>
    IReadOnlyDictionary<string, IConnector> Connectors { get; }

    /// <summary>The modules of one component (<see cref="ComponentNames"/>), for adapters and snapshots.</summary>
    IReadOnlyList<torch.nn.Module> ComponentModules(string component);

    /// <summary>The trainable parameter groups, set after the adapter is applied; empty groups are left out.</summary>
    IReadOnlyList<ParameterGroup> TrainableGroups { get; }

    /// <summary>Collates samples into a training batch (prompt and answer, labels on the answer) on the model's
    /// device, in the caller's dispose scope — for methods that run the model themselves (EWC's Fisher, LwF).</summary>
    Batch Collate(IReadOnlyList<Sample> samples);

    /// <summary>Encodes, connects, splices features at the placeholders and runs the backbone.</summary>
    /// <returns>Logits and the per-position labels aligned with them, in the caller's dispose scope.</returns>
    ModelOutput Forward(Batch batch);
}

/// <summary>The result of one forward pass.</summary>
/// <param name="Logits">[batch, sequence, vocab] float32, sequence = tokens with placeholders expanded.</param>
/// <param name="Labels">[batch, sequence] int64 aligned with <paramref name="Logits"/> (unshifted, ignore = -100).</param>
/// <param name="Loss">Mean next-token cross-entropy over answer tokens, a scalar.</param>
public sealed record ModelOutput(torch.Tensor Logits, torch.Tensor Labels, torch.Tensor Loss);
