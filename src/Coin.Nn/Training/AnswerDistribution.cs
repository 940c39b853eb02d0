using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Coin.Nn.Training;

/// <summary>The model's distribution over the next token at the answer positions, and divergences between two such
/// distributions: what distillation (LwF), output-shift measures (CoMMIT) and KL penalties compute. Part of the training
/// kit plugin authors share (contract 2.0).</summary>
public static class AnswerDistribution
{
    /// <summary>The logits [positions, vocab] at the positions whose next token is an answer token (labels shifted by
    /// one, as the loss is), in the order they appear in the batch.</summary>
    /// <param name="logits">[batch, tokens, vocab], the output's or a teacher's for the same batch.</param>
    /// <param name="labels">[batch, tokens], <see cref="Batch.IgnoreIndex"/> outside the answers.</param>
    public static Tensor AnswerLogits(Tensor logits, Tensor labels)
    {
        long length = logits.shape[1];
        var answer = labels.narrow(1, 1, length - 1).ne(Batch.IgnoreIndex);
        return logits.narrow(1, 0, length - 1)[answer];
    }

    /// <summary>Log-probabilities [positions, vocab] at the answer positions, in float32, at a softmax temperature.</summary>
    public static Tensor LogProbs(ModelOutput output, double temperature = 1) => LogProbs(output.Logits, output.Labels, temperature);

    /// <inheritdoc cref="LogProbs(ModelOutput, double)"/>
    public static Tensor LogProbs(Tensor logits, Tensor labels, double temperature = 1)
    {
        var selected = AnswerLogits(logits, labels).to_type(ScalarType.Float32);
        return F.log_softmax(temperature == 1 ? selected : selected / temperature, -1);
    }

    /// <summary>KL(p ‖ q) from log-probabilities [positions, vocab], averaged over positions.</summary>
    public static Tensor Kl(Tensor logP, Tensor logQ) => (logP.exp() * (logP - logQ)).sum(-1).mean();
}
