"""Audio helpers for the demo bundle's AudioLDM-shaped generator (tools/demo/train_audioldm.py).

The mel representation (what the VAE models and the vocoder inverts):
  16 kHz, n_fft 2048, hop 1024, win 2048 (periodic Hann), reflect padding of (n_fft - hop) / 2 on
  both sides and no centring (HiFi-GAN's convention, so 1.024 s = 16384 samples -> exactly 16
  frames), magnitude (not power) spectrum, 64 Slaney-style mel bins (area-normalised, as librosa's
  default) over 0..8000 Hz, then log(clamp(mel, 1e-5)).  Shape [frames, 64] (time major, as
  AudioLDM's VAE input [B, 1, frames, bins]).
Why hop 1024 (64 ms, coarse for speech): a HiFi-GAN upsampler is shift-equivariant per hop, so a
steady tone's identical mel frames become a hop-periodic waveform whose partials lie on a grid of
16000 / hop Hz.  At hop 256 that grid is 62.5 Hz and most of the world's notes fall between grid
points (the vocoder could not play a C4 at all); at hop 1024 the grid is 15.625 Hz and every
note of octaves 4-5 lies within 27 cents of a grid point.
Pitch: estimate_f0 (FFT peak) and pitch_class_error (semitones, octave ignored).
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

SR = 16000
N_FFT = 2048
HOP = 1024
WIN = 2048
N_MELS = 64
FMIN = 0.0
FMAX = 8000.0
LOG_FLOOR = 1e-5


def _hz_to_mel(f):
    f = np.asarray(f, dtype=np.float64)
    f_sp = 200.0 / 3
    mel = f / f_sp
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, math.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, mel)


def _mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    f_sp = 200.0 / 3
    f = f_sp * m
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, math.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f)


def mel_filterbank(sr=SR, n_fft=N_FFT, n_mels=N_MELS, fmin=FMIN, fmax=FMAX):
    """[n_mels, n_fft // 2 + 1] float32 triangular filters, Slaney mel scale and area normalisation."""
    fft_f = np.linspace(0, sr / 2, n_fft // 2 + 1)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_f[None, :]
    w = np.zeros((n_mels, len(fft_f)))
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        w[i] = np.maximum(0, np.minimum(lower, upper))
    w *= (2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels]))[:, None]
    return w.astype(np.float32)


_CACHE = {}


def _consts(device):
    k = str(device)
    if k not in _CACHE:
        _CACHE[k] = (torch.from_numpy(mel_filterbank()).to(device), torch.hann_window(WIN, periodic=True).to(device))
    return _CACHE[k]


def stft_mag(x, n_fft, hop, win):
    """|STFT| [B, frames, n_fft//2+1] with HiFi-GAN padding."""
    pad = (n_fft - hop) // 2
    x = F.pad(x.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
    s = torch.stft(x, n_fft, hop_length=hop, win_length=win, window=torch.hann_window(win, periodic=True, device=x.device),
                   center=False, return_complex=True)
    return torch.sqrt(s.real ** 2 + s.imag ** 2 + 1e-9).transpose(1, 2)


def log_mel(x):
    """waveform [B, samples] (float32, 16 kHz) -> log mel [B, samples // HOP, 64]."""
    fb, _ = _consts(x.device)
    mag = stft_mag(x, N_FFT, HOP, WIN)
    return torch.log(torch.clamp(mag @ fb.t(), min=LOG_FLOOR))


def estimate_f0(x, sr=SR, lo=150.0, hi=1200.0):
    """Fundamental frequency (Hz) of a tone: the strongest spectral peak in [lo, hi] of the
    Hann-windowed clip (zero-padded FFT, parabolic interpolation)."""
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean()
    n = 1 << 17
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x)), n))
    freqs = np.fft.rfftfreq(n, 1.0 / sr)
    band = np.where((freqs >= lo) & (freqs <= hi))[0]
    i = band[np.argmax(spec[band])]
    a, b, c = np.log(spec[i - 1] + 1e-12), np.log(spec[i] + 1e-12), np.log(spec[i + 1] + 1e-12)
    d = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
    return float((i + d) * sr / n)


def pitch_class_error(f0, note_semitone_from_a4):
    """Signed error in semitones between f0 and the note (octave ignored), in [-6, 6)."""
    s = 12.0 * math.log2(max(f0, 1e-3) / 440.0) - note_semitone_from_a4
    return (s + 6.0) % 12.0 - 6.0
