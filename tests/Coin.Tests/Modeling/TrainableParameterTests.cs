using Coin.Abstractions.Components;
using Coin.Tests.Support;
using static TorchSharp.torch;

namespace Coin.Tests.Modeling;

/// <summary>Only the parameters an adapter declares trainable receive gradients.</summary>
public class TrainableParameterTests
{
    [TestCase("lora")]
    [TestCase("moelora")]
    [TestCase("frozen")]
    public void GradientsReachExactlyTheDeclaredParameters(string adapter)
    {
        using var scope = NewDisposeScope();
        var (_, run) = InProcessExperiment.Compose(new Dictionary<string, string?>
        {
            ["model:adapter:type"] = adapter,
            ["data:options:trainPerTask"] = "8",
        });
        using var disposeRun = run;
        var model = run.Model;
        var task = run.Data.Tasks[0];
        // A non-zero B so that LoRA's A gets a non-zero gradient too.
        using (no_grad())
            foreach (var (name, p) in model.Backbone.Module.named_parameters().Where(n => n.name.Contains("lora_B")))
                p.copy_(randn_like(p) * 0.1);

        var output = model.Forward(model.Collator.Collate(run.Data.LoadTrain(task), includeAnswer: true));
        output.Loss.backward();

        var declared = model.TrainableGroups.SelectMany(g => g.Parameters).Select(p => p.Handle).ToHashSet();
        var all = ComponentNames.All.SelectMany(c => model.ComponentModules(c)).SelectMany(m => m.named_parameters()).ToList();
        Assert.That(declared, Is.Not.Empty);
        foreach (var (name, parameter) in all)
        {
            bool isDeclared = declared.Contains(parameter.Handle);
            Assert.That(parameter.grad is not null && parameter.grad.abs().sum().item<float>() > 0, Is.EqualTo(isDeclared), name);
        }
        if (adapter != "frozen")
            Assert.That(model.TrainableGroups.Select(g => g.Name), Is.EquivalentTo(new[] { ComponentNames.Connector, ComponentNames.Backbone }));
    }

    [Test]
    public void A_tied_weight_is_trained_as_one_parameter()
    {
        var (_, run) = InProcessExperiment.Compose(new Dictionary<string, string?>
        {
            ["model:backbone:options:tieWordEmbeddings"] = "true",
            ["data:options:trainPerTask"] = "8",
        });
        using var disposeRun = run;
        // TorchSharp lists a parameter once per module that holds it, and AdamW would then update it twice per step:
        // a tied model holds its embeddings once, in the embedding module, and the head uses them from there.
        var names = run.Model.Backbone.Module.named_parameters().Select(n => n.name).ToList();
        Assert.That(names, Does.Contain("model.embed_tokens.weight").And.Not.Contain("lm_head.weight"));
        var trained = run.Model.TrainableGroups.Single(g => g.Name == ComponentNames.Backbone).Parameters;
        Assert.That(trained, Has.Count.EqualTo(names.Count));
    }
}
