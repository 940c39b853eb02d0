using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Nn.Safetensors;
using Coin.Nn.Audio;
using Coin.Plugins.Encoders.Audio;
using Coin.Tests.Support;
using static TorchSharp.torch;

namespace Coin.Tests.Modeling;

public class AudioTests
{
    private static float[] Sine(double hz, double seconds, int rate)
        => Enumerable.Range(0, (int)(seconds * rate)).Select(i => (float)(0.5 * Math.Sin(2 * Math.PI * hz * i / rate))).ToArray();

    [TestCase("noise")]
    [TestCase("chirp")]
    [TestCase("tones")]
    [TestCase("speechlike")]
    [TestCase("quiet")]
    public void LogMelFeaturesAreTransformersWithinTheRoundingOfAFloat32Fft(string name)
    {
        // tests/data/audio/make_expected.py: WhisperFeatureExtractor's torch path written out from transformers' code,
        // run by Debian's PyTorch. Its FFT is another build than libtorch's here, and a float32 FFT is only so exact:
        // the reference itself differs from the same pipeline in float64 by up to 3.3e-5 (absolute) on these
        // waveforms, most where the power is lowest. Measured here: at most 3.6e-5 (docs/reliability.md).
        using var scope = NewDisposeScope();
        using var expected = SafetensorsFile.Open(Path.Combine(TestPaths.Root, "tests", "data", "audio", "expected.safetensors"));
        var reference = expected.Load($"{name}.features");
        var ours = LogMelSpectrogram.Compute(expected.Load($"{name}.audio"), 80);
        Assert.That(ours.shape, Is.EqualTo(reference.shape));
        var absolute = (ours - reference).abs();
        var relative = absolute / reference.abs();
        TestContext.Out.WriteLine($"{name}: abs max {absolute.max().item<float>():E3}, rel max {relative.max().item<float>():E3}, rel>1e-5 {relative.gt(1e-5).sum().item<long>()} of {reference.numel()}");
        Assert.That(absolute.max().item<float>(), Is.LessThanOrEqualTo(5e-5f));
    }

    [TestCase(440.0)]
    [TestCase(1000.0)]
    [TestCase(3000.0)]
    public void ASineWavePeaksInTheMelBinOfItsFrequency(double hz)
    {
        using var scope = NewDisposeScope();
        var mel = LogMelSpectrogram.Compute(tensor(Sine(hz, 1.0, 16000)), 80);
        Assert.That(mel.shape, Is.EqualTo(new long[] { 80, 100 }), "one frame per 10 ms");
        int peak = (int)mel.mean([1]).argmax().item<long>();
        var centres = LogMelSpectrogram.CentreFrequencies(80, 16000);
        int nearest = Enumerable.Range(0, 80).MinBy(i => Math.Abs(centres[i] - hz));
        Assert.That(peak, Is.InRange(nearest - 1, nearest + 1), $"peak bin {peak} ({centres[peak]:F0} Hz) for {hz} Hz");
    }

    [Test]
    public void WavFilesRoundTripAndAreResampledTo16kHz()
    {
        using var scope = NewDisposeScope();
        string path = Path.Combine(TestPaths.NewTemporaryDirectory("wav"), "tone.wav");
        var tone = Sine(440, 0.5, 8000);
        WavFile.WritePcm16(path, tone, 8000);
        var (samples, rate) = WavFile.Read(path);
        Assert.That(rate, Is.EqualTo(8000));
        Assert.That(samples.Zip(tone).Max(p => Math.Abs(p.First - p.Second)), Is.LessThan(1.0 / 32767 + 1e-6));
        Assert.That(LogMelSpectrogram.Resample(tensor(samples), 8000).shape[0], Is.EqualTo(8000));
    }

    [Test]
    public void ATruncatedWavNamesTheFileAndChunk()
    {
        string path = Path.Combine(TestPaths.NewTemporaryDirectory("wav"), "cut.wav");
        WavFile.WritePcm16(path, Sine(440, 0.1, 16000), 16000);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..100]);
        var error = Assert.Throws<CoinUserException>(() => WavFile.Read(path));
        Assert.That(error!.Message, Does.StartWith($"{path}: chunk 'data' claims"));
    }

    [Test]
    public void TheEncoderUsesWhisperNamesAndReloadsExactly()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var options = new WhisperAudioOptions { MaxSeconds = 1.0 };
        Assert.That(new WhisperAudioOptions().MaxSeconds, Is.EqualTo(30.0), "Whisper's own window unless a shorter one is asked for");
        var model = new WhisperEncoderModel(WhisperEncoderConfig.Preset("tiny", 50));
        var names = model.state_dict().Keys.ToList();
        Assert.That(names, Does.Contain("model.encoder.conv1.weight").And.Contain("model.encoder.embed_positions.weight")
            .And.Contain("model.encoder.layers.1.self_attn.q_proj.bias").And.Contain("model.encoder.layer_norm.weight"));
        Assert.That(names, Does.Not.Contain("model.encoder.layers.0.self_attn.k_proj.bias"), "Whisper's key projection has no bias");

        using var encoder = new WhisperAudioEncoder(model, options);
        var input = encoder.Prepare([new ModalityInput("audio", Values: Sine(600, 0.7, 22050), SampleRate: 22050)]);
        Assert.That(input.shape, Is.EqualTo(new long[] { 1, 80, 100 }), "padded to 1 s");
        var features = encoder.Encode(input);
        Assert.That(features.shape, Is.EqualTo(new long[] { 1, encoder.TokensPerInput, 64 }));
        Assert.That(encoder.TokensPerInput, Is.EqualTo(25));

        string folder = TestPaths.NewTemporaryDirectory("whisper");
        File.WriteAllText(Path.Combine(folder, "config.json"),
            """{"num_mel_bins": 80, "d_model": 64, "encoder_layers": 2, "encoder_attention_heads": 4, "encoder_ffn_dim": 128, "max_source_positions": 50}""");
        var tensors = model.state_dict().ToDictionary();
        tensors["model.decoder.embed_tokens.weight"] = ones(3, 2);
        SafetensorsWriter.Save(Path.Combine(folder, "model.safetensors"), tensors);
        using var reloaded = new WhisperAudioEncoder(WhisperAudioEncoder.Load(folder), options);
        Assert.That(reloaded.Encode(input).eq(features).all().item<bool>());
    }
}
