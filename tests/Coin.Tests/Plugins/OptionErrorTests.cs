using Coin.Abstractions.Plugins;
using Coin.Tests.Support;
using static TorchSharp.torch;

namespace Coin.Tests.Plugins;

/// <summary>A plugin names only its own option (<see cref="CoinOptionException"/>); the host puts the component's
/// configuration key in front, when the component is created, when the adapter is applied, and while it runs.</summary>
public class OptionErrorTests
{
    [Test]
    public void An_option_refused_when_a_component_is_created_is_named_with_the_components_key()
    {
        var error = Assert.Throws<CoinUserException>(() => InProcessExperiment.Compose(new Dictionary<string, string?>
        {
            ["data:type"] = "coin-files", ["data:options:root"] = "/no/such/folder/anywhere",
            ["data:options:tasks:0:name"] = "a", ["data:options:tasks:0:train"] = "a.json", ["data:options:tasks:0:test"] = "a.json",
        }));
        Assert.That(error!.Message, Does.StartWith("data.options.root: folder '/no/such/folder/anywhere' does not exist"));
    }

    [Test]
    public void An_option_refused_when_the_adapter_is_applied_is_named_with_the_adapters_key()
    {
        var error = Assert.Throws<CoinUserException>(() => InProcessExperiment.Compose(new Dictionary<string, string?>
        {
            ["model:adapter:type"] = "lora", ["model:adapter:options:targetModules:0"] = "no_such_proj",
        }));
        Assert.That(error!.Message, Does.StartWith("model.adapter.options.targetModules: no linear layer of the"));
    }

    [Test]
    public void What_a_component_warns_of_is_shown_under_its_key()
    {
        var warnings = new List<string>();
        var (_, run) = InProcessExperiment.Compose(new Dictionary<string, string?> { ["evaluation:evaluator:type"] = "coin-judge" }, warn: warnings.Add);
        using var _ = run;
        var task = run.Data.Tasks[0];
        run.Evaluator.Evaluate(task, [new Coin.Abstractions.Training.Prediction(run.Data.LoadTest(task)[0], "red")]);
        Assert.That(warnings.Single(), Does.StartWith("evaluation.evaluator 'coin-judge': no endpoint is configured (options.endpoint)"));
    }

    [Test]
    public void A_refusal_while_a_component_runs_is_named_by_whose_code_threw_it()
    {
        var (_, run) = InProcessExperiment.Compose(new Dictionary<string, string?>());
        using var _ = run;
        var backbone = run.Model.Backbone;
        // The plugin is loaded in its own context: its types are read through dynamic, not cast to.
        int positions = (int)((dynamic)backbone).Model.Config.MaxPositionEmbeddings + 1;
        using var embeddings = zeros(1, positions, backbone.HiddenSize);
        using var mask = ones(1, positions, dtype: ScalarType.Int64);
        var error = Assert.Throws<CoinUserException>(() => run.Naming(() => backbone.Forward(embeddings, mask).Dispose()));
        Assert.That(error!.Message, Does.StartWith($"model.backbone: a sequence of {positions:N0} positions is longer than the model's context"));
        Assert.That(new CoinOptionException("rank", "must be positive").Message, Is.EqualTo("options.rank: must be positive"), "unnamed, it still names the option");
    }
}
