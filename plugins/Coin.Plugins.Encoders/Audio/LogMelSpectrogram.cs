using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Coin.Plugins.Encoders.Audio;

/// <summary>Whisper's log-mel features: 16 kHz audio, 25 ms Hann window (400 samples), 10 ms hop (160), power
/// spectrum, a Slaney-scale mel filterbank with Slaney area normalisation (librosa's default, which Whisper's filters
/// come from), log10, floor at max - 8, then (x + 4) / 4.</summary>
public static class LogMelSpectrogram
{
    public const int SampleRate = 16000, WindowSize = 400, Hop = 160;

    /// <summary>[samples] at 16 kHz to [bins, frames] with frames = samples / 160.</summary>
    public static Tensor Compute(Tensor audio, int bins)
    {
        using var scope = NewDisposeScope();
        var window = hann_window(WindowSize, dtype: ScalarType.Float32, device: audio.device);
        var spectrum = stft(audio, WindowSize, Hop, window: window, center: true, return_complex: true);
        // Whisper drops the last frame so that frames = samples / hop.
        var power = spectrum.narrow(-1, 0, spectrum.shape[^1] - 1).abs().pow(2);
        var mel = Filterbank(bins, SampleRate, WindowSize).to(audio.device).matmul(power);
        var log = mel.clamp_min(1e-10).log10();
        log = maximum(log, log.max() - 8.0);
        return ((log + 4.0) / 4.0).MoveToOuterDisposeScope();
    }

    /// <summary>[bins, windowSize / 2 + 1] triangular filters on the Slaney mel scale, area-normalised.</summary>
    public static Tensor Filterbank(int bins, int sampleRate, int windowSize)
    {
        int frequencies = windowSize / 2 + 1;
        double[] fftHz = Enumerable.Range(0, frequencies).Select(i => (double)i * sampleRate / windowSize).ToArray();
        double melMax = HzToMel(sampleRate / 2.0);
        double[] edges = Enumerable.Range(0, bins + 2).Select(i => MelToHz(melMax * i / (bins + 1))).ToArray();
        var weights = new float[bins * frequencies];
        for (int m = 0; m < bins; m++)
        {
            double low = edges[m], centre = edges[m + 1], high = edges[m + 2];
            double norm = 2.0 / (high - low);
            for (int k = 0; k < frequencies; k++)
            {
                double rising = (fftHz[k] - low) / (centre - low), falling = (high - fftHz[k]) / (high - centre);
                weights[m * frequencies + k] = (float)(Math.Max(0, Math.Min(rising, falling)) * norm);
            }
        }
        return tensor(weights, [bins, frequencies]);
    }

    /// <summary>Centre frequency (Hz) of each mel bin.</summary>
    public static double[] CentreFrequencies(int bins, int sampleRate)
    {
        double melMax = HzToMel(sampleRate / 2.0);
        return Enumerable.Range(1, bins).Select(i => MelToHz(melMax * i / (bins + 1))).ToArray();
    }

    // Slaney's scale: linear below 1 kHz (200/3 Hz per mel), logarithmic above.
    private const double LinearStep = 200.0 / 3, BreakHz = 1000.0, BreakMel = BreakHz / LinearStep;
    private static readonly double LogStep = Math.Log(6.4) / 27.0;

    public static double HzToMel(double hz) => hz < BreakHz ? hz / LinearStep : BreakMel + Math.Log(hz / BreakHz) / LogStep;

    public static double MelToHz(double mel) => mel < BreakMel ? mel * LinearStep : BreakHz * Math.Exp(LogStep * (mel - BreakMel));

    /// <summary>Resamples [samples] to 16 kHz; antialiased when downsampling.</summary>
    public static Tensor Resample(Tensor audio, int fromRate)
    {
        if (fromRate == SampleRate) return audio;
        long target = (long)Math.Round(audio.shape[0] * (double)SampleRate / fromRate);
        return F.interpolate(audio.view(1, 1, 1, -1), [1, target], mode: InterpolationMode.Bilinear, align_corners: false, antialias: true).view(-1);
    }
}
