using TorchSharp;
using static TorchSharp.torch;

namespace Coin.Tests.Build;

/// <summary>libtorch loads inside the test host (the build's ELF fix works here) and can train.</summary>
public class LibTorchLoadTests
{
    [Test]
    public void TensorOperationGivesTheExpectedValues()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);
        using var b = tensor(new float[] { 5, 6, 7, 8 }, [2, 2]);
        using var product = a.matmul(b);
        Assert.That(product.data<float>().ToArray(), Is.EqualTo(new float[] { 19, 22, 43, 50 }));
    }

    [Test]
    public void OneOptimizerStepMovesTheWeightAgainstTheGradient()
    {
        manual_seed(0);
        using var layer = nn.Linear(1, 1, hasBias: false);
        using (no_grad()) layer.weight!.fill_(2.0f);
        using var optimizer = optim.SGD(layer.parameters(), learningRate: 0.1);
        using var x = ones(1, 1);
        // loss = (w*x)^2, d/dw = 2*w*x^2 = 4 at w = 2, so one SGD step gives w = 2 - 0.1*4 = 1.6.
        using var loss = layer.call(x).pow(2).sum();
        loss.backward();
        optimizer.step();
        Assert.That(layer.weight!.item<float>(), Is.EqualTo(1.6f).Within(1e-6));
    }
}
