using Coin.Plugins.Backbones.Llama;

namespace Coin.Tests.Modeling;

/// <summary>The parameter count the backbone's memory check uses is the one the model really allocates.</summary>
public class ParameterCountTests
{
    [TestCase(false, false, 4)]
    [TestCase(true, true, 2)]
    public void The_count_from_the_config_equals_the_models(bool tied, bool bias, int kvHeads)
    {
        var config = new LlamaConfig(VocabSize: 50, HiddenSize: 32, IntermediateSize: 48, NumHiddenLayers: 2, NumAttentionHeads: 4,
            NumKeyValueHeads: kvHeads, TieWordEmbeddings: tied, AttentionBias: bias);
        using var model = new LlamaForCausalLM(config);
        Assert.That(config.ParameterCount, Is.EqualTo(model.parameters().DistinctBy(p => p.Handle).Sum(p => p.numel())), "a tied weight counts once");
    }
}
