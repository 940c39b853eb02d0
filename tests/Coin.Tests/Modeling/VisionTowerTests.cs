using Coin.Nn.Safetensors;
using Coin.Plugins.Encoders.Vision;
using Coin.Tests.Support;
using static TorchSharp.torch;

namespace Coin.Tests.Modeling;

/// <summary>CLIP's and SigLIP's vision towers from Hugging Face folders give the hidden states of a reference forward
/// pass written from transformers' modeling_clip and modeling_siglip (tests/data/vision/make_goldens.py).</summary>
public class VisionTowerTests
{
    [TestCase("clip-tiny", 17)]
    [TestCase("siglip-tiny", 16)]
    public void Every_hidden_state_equals_the_reference(string tower, int tokens)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        string folder = Path.Combine(TestPaths.Root, "tests", "data", "vision", tower);
        using var model = ClipVisionEncoder.Load(folder);
        using var expected = SafetensorsCheckpoint.Open(folder, "expected");
        var states = model.HiddenStates(expected.Load("pixels"), model.Config.NumHiddenLayers);
        Assert.That(states[0].shape[1], Is.EqualTo(tokens), "SigLIP has no class token");
        for (int i = 0; i < states.Count; i++)
        {
            var reference = expected.Load($"hidden_states.{i}");
            double error = (states[i] - reference).abs().max().item<float>() / reference.abs().max().item<float>();
            Assert.That(error, Is.LessThanOrEqualTo(1e-5), $"{tower} hidden state {i}");
        }
    }

    [Test]
    public void A_siglip_encoder_keeps_every_token_and_normalises_with_a_half()
    {
        using var scope = NewDisposeScope();
        string folder = Path.Combine(TestPaths.Root, "tests", "data", "vision", "siglip-tiny");
        using var encoder = new ClipVisionEncoder(ClipVisionEncoder.Load(folder), new ClipVisionOptions { Path = folder, FeatureLayer = -1 });
        Assert.That(encoder.TokensPerInput, Is.EqualTo(16), "no class token to leave out");
        var features = encoder.Encode(zeros(1, 3, 32, 32));
        Assert.That(features.shape, Is.EqualTo(new long[] { 1, 16, 16 }));
    }
}
