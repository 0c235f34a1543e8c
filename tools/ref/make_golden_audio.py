#!/usr/bin/env python3
"""Golden references for the audio front end (tests/golden/media/imagebind_audio.gguf) and the
committed test clips (tests/media/data/audio/*.wav).

Run: .venv-ref/bin/python tools/ref/make_golden_audio.py   (from the repository root)

The reference is ImageBind's imagebind/data.py load_and_transform_audio_data. torchaudio is
not installable next to the reference torch (2.15.0: no matching torchaudio on PyPI), so the
two torchaudio functions it calls are reproduced here line for line from torchaudio's source,
in torch, with the same dtypes (float32 waveforms, float32 kernels and mel banks):
  * torchaudio.functional.resample defaults (sinc_interp_hann, lowpass_filter_width=6,
    rolloff=0.99): _get_sinc_resample_kernel + _apply_sinc_resample_kernel;
  * torchaudio.compliance.kaldi.fbank with the arguments ImageBind passes (htk_compat=True,
    use_energy=False, window_type='hanning', num_mel_bins=128, dither=0, 25/10 ms, snip_edges,
    remove_dc_offset, pre-emphasis 0.97, power spectrum, kaldi mel scale 1127 ln(1 + f/700),
    low 20 Hz, high = Nyquist, log(max(x, float32 eps))).
torchaudio.load is replaced by Python's `wave` module plus the usual PCM scaling (8-bit:
(v - 128) / 128, 16-bit: v / 32768). pytorchvideo's ConstantClipsPerVideoSampler is
reproduced with the same Fraction arithmetic. data.py's `waveform -= waveform.mean()` acts on
a view of the whole waveform, so overlapping clips see earlier subtractions; that is kept.

Cases (see tests/media/test_audio.c):
  wav_<name>      op "wav": params file, rate, channels, frames, crc32 (of the raw PCM bytes
                  as Python's wave module returns them, as a signed i32); out = first 64
                  decoded frames [64, channels] as float
  resample_tones  op "resample": params file, channel, rate_out; out = channel 0 resampled
  fbank_voice     op "fbank": in0 16 kHz mono samples; out [frames, 128] log-mel
  imagebind_voice op "imagebind_audio": params file; out [3, 1, 128, 204]
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import wave
import zlib
from fractions import Fraction

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden import GoldenWriter  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DATA = os.path.join(ROOT, "tests", "media", "data", "audio")
OUT = os.path.join(ROOT, "tests", "golden", "media", "imagebind_audio.gguf")


# ---------------------------------------------------------------- test clips
def write_wav(path: str, rate: int, pcm: np.ndarray, sampwidth: int) -> None:
    """pcm: [frames, channels] of uint8 (sampwidth 1) or int16 (2)."""
    with wave.open(path, "wb") as w:
        w.setnchannels(pcm.shape[1])
        w.setsampwidth(sampwidth)
        w.setframerate(rate)
        w.writeframes(np.ascontiguousarray(pcm).tobytes())


def make_clips() -> None:
    os.makedirs(DATA, exist_ok=True)
    rng = np.random.default_rng(1234)
    # 0.2 s, 44.1 kHz stereo 16-bit: 440 Hz + 3 kHz left, 1 kHz + 7.5 kHz right, plus noise
    rate, n = 44100, 8820
    t = np.arange(n) / rate
    left = 0.4 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 3000 * t) + 0.02 * rng.standard_normal(n)
    right = 0.3 * np.sin(2 * np.pi * 1000 * t + 0.3) + 0.2 * np.sin(2 * np.pi * 7500 * t) + 0.02 * rng.standard_normal(n)
    pcm = np.clip(np.round(np.stack([left, right], 1) * 32767), -32768, 32767).astype("<i2")
    write_wav(os.path.join(DATA, "tones_44k_stereo_s16.wav"), rate, pcm, 2)
    # 4.5 s, 8 kHz mono unsigned 8-bit: a voiced, vowel-like signal (harmonics of a gliding
    # 110-180 Hz pitch through two formant-like resonances, syllable envelope) plus noise
    rate, n = 8000, 36000
    t = np.arange(n) / rate
    f0 = 140 + 40 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    x = np.zeros(n)
    for h in range(1, 25):
        fh = h * f0
        amp = np.exp(-((fh - 700) / 300) ** 2) + 0.6 * np.exp(-((fh - 1800) / 400) ** 2) + 0.05
        x += amp * np.sin(h * phase) * (fh < rate / 2)
    env = 0.5 + 0.5 * np.sin(2 * np.pi * 3.1 * t) ** 2
    x = x * env
    x = 0.45 * x / np.max(np.abs(x)) + 0.01 * rng.standard_normal(n)
    pcm = np.clip(np.round(x * 127 + 128), 0, 255).astype(np.uint8)[:, None]
    write_wav(os.path.join(DATA, "voice_8k_mono_u8.wav"), rate, pcm, 1)
    # the first 0.25 s as 16-bit FLAC (lossless: the C test compares it with the WAV); needs sox
    if shutil.which("sox"):
        subprocess.run(["sox", "-D", os.path.join(DATA, "voice_8k_mono_u8.wav"), "-b", "16",
                        os.path.join(DATA, "voice_8k_head.flac"), "trim", "0", "0.25"], check=True)
    else:
        print("sox not found: tests/media/data/audio/voice_8k_head.flac left as it is")


def read_wav(path: str) -> tuple[int, np.ndarray, bytes]:
    """(rate, float32 [channels, frames] as torchaudio.load returns it, raw PCM bytes)."""
    with wave.open(path, "rb") as w:
        rate, ch, sw, nf = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
        raw = w.readframes(nf)
    if sw == 1:
        x = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif sw == 2:
        x = np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    else:
        raise ValueError(sw)
    return rate, np.ascontiguousarray(x.reshape(nf, ch).T), raw


# ---------------------------------------------------------------- torchaudio.functional.resample
def _get_sinc_resample_kernel(orig_freq, new_freq, gcd, lowpass_filter_width=6, rolloff=0.99, dtype=torch.float32):
    orig_freq = int(orig_freq) // gcd
    new_freq = int(new_freq) // gcd
    base_freq = min(orig_freq, new_freq)
    base_freq *= rolloff
    width = math.ceil(lowpass_filter_width * orig_freq / base_freq)
    idx = torch.arange(-width, width + orig_freq, dtype=dtype)[None, None] / orig_freq
    t = torch.arange(0, -new_freq, -1, dtype=dtype)[:, None, None] / new_freq + idx
    t *= base_freq
    t = t.clamp_(-lowpass_filter_width, lowpass_filter_width)
    window = torch.cos(t * math.pi / lowpass_filter_width / 2) ** 2
    t *= math.pi
    scale = base_freq / orig_freq
    kernels = torch.where(t == 0, torch.tensor(1.0).to(t), t.sin() / t)
    kernels *= window * scale
    return kernels, width


def resample(waveform: torch.Tensor, orig_freq: int, new_freq: int) -> torch.Tensor:
    if orig_freq == new_freq:
        return waveform
    gcd = math.gcd(int(orig_freq), int(new_freq))
    kernel, width = _get_sinc_resample_kernel(orig_freq, new_freq, gcd, dtype=waveform.dtype)
    orig, new = int(orig_freq) // gcd, int(new_freq) // gcd
    shape = waveform.size()
    waveform = waveform.view(-1, shape[-1])
    num_wavs, length = waveform.shape
    waveform = torch.nn.functional.pad(waveform, (width, width + orig))
    resampled = torch.nn.functional.conv1d(waveform[:, None], kernel, stride=orig)
    resampled = resampled.transpose(1, 2).reshape(num_wavs, -1)
    target_length = torch.ceil(torch.as_tensor(new * length / orig)).long()
    resampled = resampled[..., :target_length]
    return resampled.view(shape[:-1] + resampled.shape[-1:])


# ---------------------------------------------------------------- torchaudio.compliance.kaldi.fbank
EPS = torch.tensor(torch.finfo(torch.float).eps)


def mel_scale(freq):
    return 1127.0 * (1.0 + freq / 700.0).log()


def get_mel_banks(num_bins, window_length_padded, sample_freq, low_freq, high_freq):
    num_fft_bins = window_length_padded // 2
    nyquist = 0.5 * sample_freq
    if high_freq <= 0.0:
        high_freq += nyquist
    fft_bin_width = sample_freq / window_length_padded
    mel_low_freq = 1127.0 * math.log(1.0 + low_freq / 700.0)
    mel_high_freq = 1127.0 * math.log(1.0 + high_freq / 700.0)
    mel_freq_delta = (mel_high_freq - mel_low_freq) / (num_bins + 1)
    b = torch.arange(num_bins).unsqueeze(1)
    left_mel = mel_low_freq + b * mel_freq_delta
    center_mel = mel_low_freq + (b + 1.0) * mel_freq_delta
    right_mel = mel_low_freq + (b + 2.0) * mel_freq_delta
    mel = mel_scale(fft_bin_width * torch.arange(num_fft_bins)).unsqueeze(0)
    up_slope = (mel - left_mel) / (center_mel - left_mel)
    down_slope = (right_mel - mel) / (right_mel - center_mel)
    return torch.max(torch.zeros(1), torch.min(up_slope, down_slope))


def kaldi_fbank_imagebind(waveform: torch.Tensor, sample_frequency=16000.0, num_mel_bins=128) -> torch.Tensor:
    """kaldi.fbank(waveform, htk_compat=True, sample_frequency=16000, use_energy=False,
    window_type='hanning', num_mel_bins=128, dither=0.0, frame_length=25, frame_shift=10)."""
    dtype = waveform.dtype
    waveform = waveform[0, :]  # channel=-1 -> max(channel, 0) = 0
    window_shift = int(sample_frequency * 10 * 0.001)
    window_size = int(sample_frequency * 25 * 0.001)
    padded = 1 if window_size == 0 else 2 ** (window_size - 1).bit_length()
    assert 2 <= window_size <= len(waveform)
    m = 1 + (waveform.size(0) - window_size) // window_shift
    strided = waveform.as_strided((m, window_size), (window_shift * waveform.stride(0), waveform.stride(0)))
    strided = strided - torch.mean(strided, dim=1).unsqueeze(1)
    offset = torch.nn.functional.pad(strided.unsqueeze(0), (1, 0), mode="replicate").squeeze(0)
    strided = strided - 0.97 * offset[:, :-1]
    strided = strided * torch.hann_window(window_size, periodic=False, dtype=dtype).unsqueeze(0)
    strided = torch.nn.functional.pad(strided.unsqueeze(0), (0, padded - window_size), mode="constant", value=0).squeeze(0)
    spectrum = torch.fft.rfft(strided).abs().pow(2.0)
    banks = get_mel_banks(num_mel_bins, padded, sample_frequency, 20.0, 0.0).to(dtype=dtype)
    banks = torch.nn.functional.pad(banks, (0, 1), mode="constant", value=0)
    mel = torch.mm(spectrum, banks.T)
    return torch.max(mel, EPS.to(dtype=dtype)).log()


# ---------------------------------------------------------------- imagebind/data.py
def clip_timepoints(duration: float, clip_duration=2, clips_per_video=3):
    """pytorchvideo ConstantClipsPerVideoSampler, driven as get_clip_timepoints does."""
    out, idx = [], 0
    while True:
        max_start = Fraction(max(duration - clip_duration, 0))
        uniform = Fraction(max_start, max(clips_per_video - 1, 1))
        start = uniform * idx
        idx += 1
        last = idx >= clips_per_video or uniform * idx > max_start
        out.append((start, start + clip_duration))
        if last:
            return out


def waveform2melspec(waveform, sample_rate, num_mel_bins, target_length):
    waveform -= waveform.mean()
    fbank = kaldi_fbank_imagebind(waveform, sample_rate, num_mel_bins).transpose(0, 1)
    p = target_length - fbank.size(1)
    if p > 0:
        fbank = torch.nn.functional.pad(fbank, (0, p), mode="constant", value=0)
    elif p < 0:
        fbank = fbank[:, 0:target_length]
    return fbank.unsqueeze(0)


def imagebind_audio(waveform: torch.Tensor, sr: int, sample_rate=16000) -> torch.Tensor:
    if sample_rate != sr:
        waveform = resample(waveform, sr, sample_rate)
    clips = []
    for c in clip_timepoints(waveform.size(1) / sample_rate):
        wc = waveform[:, int(c[0] * sample_rate) : int(c[1] * sample_rate)]
        clips.append(waveform2melspec(wc, sample_rate, 128, 204))
    mean = torch.as_tensor([-4.268], dtype=torch.float32).view(-1, 1, 1)
    std = torch.as_tensor([9.138], dtype=torch.float32).view(-1, 1, 1)
    clips = [(ac - mean) / std for ac in clips]  # torchvision Normalize(mean, std)
    return torch.stack(clips, dim=0)


# ---------------------------------------------------------------- golden file
def crc_i32(b: bytes) -> int:
    c = zlib.crc32(b) & 0xFFFFFFFF
    return c - (1 << 32) if c >= (1 << 31) else c


def main() -> None:
    make_clips()
    gw = GoldenWriter(OUT, generator="tools/ref/make_golden_audio.py",
                      compute="torch float32 ports of torchaudio resample/kaldi.fbank and imagebind data.py")
    files = {"tones": "tones_44k_stereo_s16.wav", "voice": "voice_8k_mono_u8.wav"}
    loaded = {}
    for name, fn in files.items():
        rate, x, raw = read_wav(os.path.join(DATA, fn))
        loaded[name] = (rate, x)
        gw.add_case(f"wav_{name}", "wav", inputs=[], out=x.T[:64],
                    params={"file": fn, "rate": rate, "channels": x.shape[0], "frames": x.shape[1], "crc32": crc_i32(raw)},
                    tol_nmse=0.0, tol_max_abs=0.0)
    rate, x = loaded["tones"]
    y = resample(torch.from_numpy(x), rate, 16000)[0]
    y64 = resample(torch.from_numpy(x).double(), rate, 16000)[0]
    print("resample tones: float32 vs float64 torch nmse %.3e" % (float(((y.double() - y64) ** 2).sum() / (y64 ** 2).sum())))
    gw.add_case("resample_tones", "resample", inputs=[], out=y,
                params={"file": files["tones"], "channel": 0, "rate_out": 16000}, tol_nmse=1e-9, tol_max_abs=2e-5)
    rate, x = loaded["voice"]
    w16 = resample(torch.from_numpy(x), rate, 16000)
    seg = w16[:, 16000:16000 + 4800].clone()
    fb = kaldi_fbank_imagebind(seg)
    fb64 = kaldi_fbank_imagebind(seg.double())
    print("fbank voice: frames %d, float32 vs float64 max abs %.3e" % (fb.shape[0], float((fb.double() - fb64).abs().max())))
    gw.add_case("fbank_voice", "fbank", inputs=[seg[0]], out=fb, params={"num_mel_bins": 128}, tol_nmse=1e-9,
                tol_max_abs=1e-3)
    ib = imagebind_audio(torch.from_numpy(x.copy()), rate)
    ib64 = imagebind_audio(torch.from_numpy(x.copy()).double(), rate)
    print("imagebind voice: shape %s, float32 vs float64 max abs %.3e" % (tuple(ib.shape), float((ib.double() - ib64).abs().max())))
    print("clips:", [(float(a), float(b)) for a, b in clip_timepoints(w16.size(1) / 16000)])
    gw.add_case("imagebind_voice", "imagebind_audio", inputs=[], out=ib, params={"file": files["voice"]},
                tol_nmse=1e-9, tol_max_abs=1e-3)
    gw.write()
    print("wrote %s (%d bytes of tensors)" % (OUT, gw.nbytes()))


if __name__ == "__main__":
    main()
