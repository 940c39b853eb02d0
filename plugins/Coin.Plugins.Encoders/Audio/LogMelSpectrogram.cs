using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Coin.Plugins.Encoders.Audio;

/// <summary>Whisper's log-mel features: 16 kHz audio, 25 ms Hann window (400 samples), 10 ms hop (160), power
/// spectrum, a Slaney-scale mel filterbank with Slaney area normalisation (librosa's default, which Whisper's filters
/// come from), log10, floor at max - 8, then (x + 4) / 4. Computed in transformers' operation order
/// (WhisperFeatureExtractor's torch path, audio_utils.mel_filter_bank), which tests/data/audio/make_expected.py
/// writes out: the same float64 arithmetic for the filters, and the product as <c>filters.T @ power</c> over a
/// [frequencies, bins] matrix, since the matrix library sums a transposed operand in another order.</summary>
internal static class LogMelSpectrogram
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
        var mel = FilterbankByFrequency(bins, SampleRate, WindowSize).to(audio.device).t().matmul(power);
        var log = mel.clamp_min(1e-10).log10();
        log = maximum(log, log.max() - 8.0);
        return ((log + 4.0) / 4.0).MoveToOuterDisposeScope();
    }

    /// <summary>The filters as transformers' mel_filter_bank lays them out, [windowSize / 2 + 1, bins]: edges evenly
    /// spaced in mel (numpy's linspace: i · step, the last exactly the top), triangles from the slopes between them,
    /// times 2 / (upper edge − lower edge); float64, then float32.</summary>
    private static Tensor FilterbankByFrequency(int bins, int sampleRate, int windowSize)
    {
        int frequencies = windowSize / 2 + 1;
        double[] fftHz = Linspace(0, sampleRate / 2, frequencies);
        double[] edges = MelEdges(bins, sampleRate);
        var weights = new float[frequencies * bins];
        for (int k = 0; k < frequencies; k++)
            for (int m = 0; m < bins; m++)
            {
                double down = -(edges[m] - fftHz[k]) / (edges[m + 1] - edges[m]), up = (edges[m + 2] - fftHz[k]) / (edges[m + 2] - edges[m + 1]);
                double norm = 2.0 / (edges[m + 2] - edges[m]);
                weights[k * bins + m] = (float)(Math.Max(0.0, Math.Min(down, up)) * norm);
            }
        return tensor(weights, [frequencies, bins]);
    }

    /// <summary>numpy's linspace with its endpoint: start + i · ((stop − start) / (count − 1)), the last set to stop.</summary>
    private static double[] Linspace(double start, double stop, int count)
    {
        double step = (stop - start) / (count - 1);
        var values = Enumerable.Range(0, count).Select(i => i * step + start).ToArray();
        values[^1] = stop;
        return values;
    }

    /// <summary>Centre frequency (Hz) of each mel bin.</summary>
    public static double[] CentreFrequencies(int bins, int sampleRate) => MelEdges(bins, sampleRate)[1..^1];

    /// <summary>The bins' edges in Hz: bins + 2 points evenly spaced in mel from 0 to the Nyquist frequency.</summary>
    private static double[] MelEdges(int bins, int sampleRate)
        => Linspace(HzToMel(0), HzToMel(sampleRate / 2.0), bins + 2).Select(MelToHz).ToArray();

    // Slaney's scale as transformers' audio_utils computes it: linear below 1 kHz (3/200 mel per Hz), logarithmic above.
    private const double BreakHz = 1000.0, BreakMel = 15.0;
    private static readonly double MelsPerLogHz = 27.0 / Math.Log(6.4), LogHzPerMel = Math.Log(6.4) / 27.0;

    public static double HzToMel(double hz) => hz >= BreakHz ? BreakMel + Math.Log(hz / BreakHz) * MelsPerLogHz : 3.0 * hz / 200.0;

    public static double MelToHz(double mel) => mel >= BreakMel ? BreakHz * Math.Exp(LogHzPerMel * (mel - BreakMel)) : 200.0 * mel / 3.0;

    /// <summary>Resamples [samples] to 16 kHz; antialiased when downsampling.</summary>
    public static Tensor Resample(Tensor audio, int fromRate)
    {
        if (fromRate == SampleRate) return audio;
        long target = (long)Math.Round(audio.shape[0] * (double)SampleRate / fromRate);
        return F.interpolate(audio.view(1, 1, 1, -1), [1, target], mode: InterpolationMode.Bilinear, align_corners: false, antialias: true).view(-1);
    }
}
