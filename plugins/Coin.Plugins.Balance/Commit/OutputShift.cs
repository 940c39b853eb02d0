using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Coin.Plugins.Balance.Commit;

/// <summary>How far the model's output distribution over answer tokens moves, and because of which side.</summary>
public static class OutputShift
{
    /// <summary>Log-probabilities [positions, vocab] at the positions whose next token is an answer token.</summary>
    public static Tensor AnswerLogProbs(ModelOutput output)
    {
        long length = output.Logits.shape[1];
        var answer = output.Labels.narrow(1, 1, length - 1).ne(Batch.IgnoreIndex);
        return F.log_softmax(output.Logits.narrow(1, 0, length - 1)[answer].to_type(ScalarType.Float32), -1);
    }

    /// <summary>KL(p ‖ q) from log-probabilities, averaged over positions.</summary>
    public static Tensor Kl(Tensor logP, Tensor logQ) => (logP.exp() * (logP - logQ)).sum(-1).mean();

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
