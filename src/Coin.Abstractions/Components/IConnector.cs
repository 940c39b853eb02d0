using TorchSharp;

namespace Coin.Abstractions.Components;

/// <summary>Projects an encoder's features into the backbone's embedding space (LLaVA's projector). One instance
/// per encoder; its factory reads the widths from <see cref="Plugins.ComponentContext.Encoder"/> and
/// <see cref="Plugins.ComponentContext.Backbone"/>.</summary>
public interface IConnector : IDisposable
{
    /// <summary>The module holding every parameter.</summary>
    torch.nn.Module Module { get; }

    /// <summary>[inputs, tokens, encoderDim] to [inputs, tokens, hiddenSize].</summary>
    torch.Tensor Project(torch.Tensor features);
}
