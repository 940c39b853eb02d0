using Coin.Abstractions.Data;
using Coin.Nn.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Coin.Tests.Nn;

/// <summary>The training kit of Coin.Nn that methods share: weight snapshots and swaps, answer log-probabilities, KL.</summary>
public class TrainingKitTests
{
    [Test]
    public void WithWeights_runs_on_the_snapshot_and_puts_the_live_weights_back_even_when_it_throws()
    {
        var p = new Parameter(tensor(new float[] { 1, 2 }));
        using var snapshot = new ParameterSnapshot([p]);
        using (no_grad()) p.copy_(tensor(new float[] { 5, 7 }));
        Assert.That(snapshot.Distance(), Is.EqualTo(Math.Sqrt(16 + 25)).Within(1e-6), "‖[5 − 1, 7 − 2]‖");
        float seen = snapshot.WithWeights(() => p.sum().item<float>());
        Assert.That(seen, Is.EqualTo(3));
        Assert.That(p.data<float>().ToArray(), Is.EqualTo(new float[] { 5, 7 }));
        Assert.That(() => snapshot.WithWeights<int>(() => throw new InvalidOperationException("inside")), Throws.InvalidOperationException);
        Assert.That(p.data<float>().ToArray(), Is.EqualTo(new float[] { 5, 7 }), "restored after the exception");
    }

    [Test]
    public void Answer_log_probs_take_the_positions_before_each_answer_token_and_kl_is_zero_only_for_equal_distributions()
    {
        // One sequence of 4 tokens, the last two are the answer: positions 1 and 2 predict them.
        var logits = arange(4 * 3, dtype: ScalarType.Float32).reshape(1, 4, 3) / 4;
        var labels = tensor(new long[] { Batch.IgnoreIndex, Batch.IgnoreIndex, 2, 1 }).reshape(1, 4);
        var logProbs = AnswerDistribution.LogProbs(logits, labels);
        Assert.That(logProbs.shape, Is.EqualTo(new long[] { 2, 3 }));
        var expected = nn.functional.log_softmax(logits[0].narrow(0, 1, 2), -1);
        Assert.That(logProbs.allclose(expected), Is.True);
        Assert.That(AnswerDistribution.Kl(logProbs, logProbs).item<float>(), Is.EqualTo(0).Within(1e-7));
        var hotter = AnswerDistribution.LogProbs(logits, labels, temperature: 2);
        Assert.That(hotter.allclose(nn.functional.log_softmax(logits[0].narrow(0, 1, 2) / 2, -1)), Is.True);
        Assert.That(AnswerDistribution.Kl(logProbs, hotter).item<float>(), Is.GreaterThan(0));
    }
}
