#!/usr/bin/env python3
"""Reference log-mel features for LogMelSpectrogramTests: Whisper's feature extraction as transformers computes it
(WhisperFeatureExtractor._torch_extract_fbank_features over audio_utils.mel_filter_bank with Slaney's scale and norm),
written out here from that code with numpy and PyTorch (Debian's python3-torch), for seeded waveforms of a few shapes.
Writes expected.safetensors: "<name>.audio" (float32 samples at 16 kHz) and "<name>.features" ([80, frames]).
Run:  /usr/bin/python3 tests/data/audio/make_expected.py
"""
import json
import os
import struct

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
N_FFT, HOP, RATE, BINS = 400, 160, 16000, 80


def hertz_to_mel(freq):  # audio_utils.hertz_to_mel, mel_scale="slaney"
    min_log_hertz, min_log_mel, logstep = 1000.0, 15.0, 27.0 / np.log(6.4)
    mels = 3.0 * freq / 200.0
    if isinstance(freq, np.ndarray):
        log_region = freq >= min_log_hertz
        mels[log_region] = min_log_mel + np.log(freq[log_region] / min_log_hertz) * logstep
    elif freq >= min_log_hertz:
        mels = min_log_mel + np.log(freq / min_log_hertz) * logstep
    return mels


def mel_to_hertz(mels):  # audio_utils.mel_to_hertz, mel_scale="slaney"
    min_log_hertz, min_log_mel, logstep = 1000.0, 15.0, np.log(6.4) / 27.0
    freq = 200.0 * mels / 3.0
    log_region = mels >= min_log_mel
    freq[log_region] = min_log_hertz * np.exp(logstep * (mels[log_region] - min_log_mel))
    return freq


def mel_filter_bank():  # audio_utils.mel_filter_bank(201, 80, 0.0, 8000.0, 16000, norm="slaney", mel_scale="slaney")
    mel_freqs = np.linspace(hertz_to_mel(0.0), hertz_to_mel(8000.0), BINS + 2)
    filter_freqs = mel_to_hertz(mel_freqs)
    fft_freqs = np.linspace(0, RATE // 2, 1 + N_FFT // 2)
    filter_diff = np.diff(filter_freqs)
    slopes = np.expand_dims(filter_freqs, 0) - np.expand_dims(fft_freqs, 1)
    down_slopes = -slopes[:, :-2] / filter_diff[:-1]
    up_slopes = slopes[:, 2:] / filter_diff[1:]
    mel_filters = np.maximum(np.zeros(1), np.minimum(down_slopes, up_slopes))
    enorm = 2.0 / (filter_freqs[2 : BINS + 2] - filter_freqs[:BINS])
    return mel_filters * np.expand_dims(enorm, 0)   # [201, 80]


def features(waveform):  # WhisperFeatureExtractor._torch_extract_fbank_features, one waveform on the CPU
    waveform = torch.from_numpy(waveform).to(torch.float32)
    window = torch.hann_window(N_FFT)
    stft = torch.stft(waveform, N_FFT, HOP, window=window, return_complex=True)
    magnitudes = stft[..., :-1].abs() ** 2
    mel_filters = torch.from_numpy(mel_filter_bank()).to(torch.float32)
    mel_spec = mel_filters.T @ magnitudes
    log_spec = torch.clamp(mel_spec, min=1e-10).log10()
    log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)
    return (log_spec + 4.0) / 4.0


rng = np.random.default_rng(0)
t = lambda seconds: np.arange(int(seconds * RATE)) / RATE
waves = {
    "noise": rng.standard_normal(int(2.5 * RATE)) * 0.1,
    "chirp": np.sin(2 * np.pi * (100 + 1500 * t(2.0)) * t(2.0)) * 0.5 + rng.standard_normal(2 * RATE) * 0.01,
    "tones": (np.sin(2 * np.pi * 440 * t(1.0)) + 0.3 * np.sin(2 * np.pi * 3000 * t(1.0))) * np.linspace(0, 1, RATE),
    "speechlike": np.convolve(rng.standard_normal(2 * RATE), np.hanning(80), "same") * np.abs(np.sin(2 * np.pi * 3 * t(2.0))) * 0.05,
    "quiet": rng.standard_normal(RATE) * 1e-4,
}
tensors = {}
for name, wave in waves.items():
    audio = wave.astype(np.float32)
    tensors[f"{name}.audio"] = audio
    tensors[f"{name}.features"] = features(audio).numpy()

# safetensors, written by hand (the format is a length, a JSON header and the raw little-endian bytes).
header, offset, blobs = {}, 0, []
for name, array in tensors.items():
    data = np.ascontiguousarray(array, dtype="<f4").tobytes()
    header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
    offset += len(data)
    blobs.append(data)
header["__metadata__"] = {"made_by": f"torch {torch.__version__}, numpy {np.__version__}"}
encoded = json.dumps(header).encode()
encoded += b" " * (-len(encoded) % 8)
with open(os.path.join(HERE, "expected.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))
print({k: v.shape for k, v in tensors.items()})
