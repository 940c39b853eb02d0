using Coin.Abstractions.Data;
using TorchSharp;

namespace Coin.Abstractions.Components;

/// <summary>Turns one modality's raw input into a sequence of feature vectors.</summary>
/// <remarks>Call order per step: <see cref="Prepare"/> (CPU, may be cached by the host across epochs) then
/// <see cref="Encode"/> on the device. The host owns and disposes the instance.</remarks>
public interface IEncoder : IDisposable
{
    /// <summary>The modality it reads, e.g. <c>"image"</c>; also the name of its placeholder token
    /// (<c>&lt;image&gt;</c>).</summary>
    string Modality { get; }

    /// <summary>The module holding every parameter.</summary>
    torch.nn.Module Module { get; }

    /// <summary>Width of each output feature vector.</summary>
    int OutputDim { get; }

    /// <summary>Number of feature vectors produced per input (the tokens spliced into the sequence).</summary>
    int TokensPerInput { get; }

    /// <summary>Decodes and normalises raw inputs into one float32 CPU tensor [inputs, ...] (e.g. [n, 3, H, W]).
    /// Throws <see cref="Plugins.CoinUserException"/> naming the file for unreadable inputs.</summary>
    torch.Tensor Prepare(IReadOnlyList<ModalityInput> inputs);

    /// <summary>Encodes prepared inputs (on the module's device): [inputs, ...] to [inputs, TokensPerInput, OutputDim].</summary>
    torch.Tensor Encode(torch.Tensor prepared);
}
