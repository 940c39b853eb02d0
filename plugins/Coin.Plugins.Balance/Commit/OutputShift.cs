using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Nn.Training;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Coin.Plugins.Balance.Commit;

/// <summary>How far the model's output distribution over answer tokens moves, and because of which side.</summary>
public static class OutputShift
{
    private static Tensor AnswerLogProbs(ModelOutput output) => AnswerDistribution.LogProbs(output);

    private static Tensor Kl(Tensor logP, Tensor logQ) => AnswerDistribution.Kl(logP, logQ);

    /// <summary>D_E = KL(p(E new, L old) ‖ p(E old, L old)) and D_L = KL(p(E old, L new) ‖ p(E old, L old)) on one batch:
    /// three forward passes without gradients; the new weights are back in place afterwards.</summary>
    public static (double Feature, double Language) Divergences(IMultimodalModel model, Batch batch, WeightSwap feature, WeightSwap language)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        language.UseBefore();
        var featureMoved = AnswerLogProbs(model.Forward(batch));
        feature.UseBefore();
        var neither = AnswerLogProbs(model.Forward(batch));
        language.UseAfter();
        var languageMoved = AnswerLogProbs(model.Forward(batch));
        feature.UseAfter();
        return (Kl(featureMoved, neither).item<float>(), Kl(languageMoved, neither).item<float>());
    }
}
