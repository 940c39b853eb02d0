using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Nn.Training;
using static TorchSharp.torch;

namespace Coin.Plugins.Balance.Commit;

/// <summary>How far the model's output distribution over answer tokens moves, and because of which side.</summary>
internal static class OutputShift
{
    /// <summary>D_E = KL(p(E new, L old) ‖ p(E old, L old)) and D_L = KL(p(E old, L new) ‖ p(E old, L old)) on one batch:
    /// three forward passes without gradients; the new weights are back in place afterwards.</summary>
    public static (double Feature, double Language) Divergences(IMultimodalModel model, Batch batch, WeightSwap feature, WeightSwap language)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        language.UseBefore();
        var featureMoved = AnswerDistribution.LogProbs(model.Forward(batch));
        feature.UseBefore();
        var neither = AnswerDistribution.LogProbs(model.Forward(batch));
        language.UseAfter();
        var languageMoved = AnswerDistribution.LogProbs(model.Forward(batch));
        feature.UseAfter();
        return (AnswerDistribution.Kl(featureMoved, neither).item<float>(), AnswerDistribution.Kl(languageMoved, neither).item<float>());
    }
}
