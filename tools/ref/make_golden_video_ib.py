#!/usr/bin/env python3
"""Golden references for ImageBind's video front end (src/media/video_imagebind.c) and the float
bilinear resize (src/media/image_resize_f32.c): tests/golden/video_ib/video_ib.gguf, plus the
committed test videos tests/media/data/video_ib/*.mp4 (made here with the ffmpeg CLI).

Run: .venv-ref/bin/python tools/ref/make_golden_video_ib.py   (from the repository root)

Reference: imagebind/data.py load_and_transform_video_data (imagebind-packaged 0.1.2) with
pytorchvideo 0.1.5 (ConstantClipsPerVideoSampler, EncodedVideoDecord.get_clip,
UniformTemporalSubsample, ShortSideScale, uniform_crop/SpatialCrop) and torchvision's
NormalizeVideo. pytorchvideo and decord are not installed next to the reference torch, so the
few lines of them that data.py runs are reproduced here with the same arithmetic (Fractions for
the sampler, math.ceil(fps * t) frame indices, torch.nn.functional.interpolate bilinear with
align_corners=False on float32 (C, T, H, W) clips, (x - mean) / std). decord's decode is
replaced by the ffmpeg CLI decoding every frame to rgb24 (-fps_mode passthrough); frame i is
the i-th decoded frame, n_frames the number decoded, fps ffprobe's avg_frame_rate. So the
reference is independent of our decoder but sees the same FFmpeg decode.

The 15 clips of [3, 2, 224, 224] per video are too large to commit (18 MB), so each case stores
the values at 16 x 16 sampled (y, x) positions of every plane (params ys, xs) -> out
[15, 3, 2, 16, 16], the 10 frame indices (param idx) and the CRC-32 of each selected frame's
rgb24 bytes as the ffmpeg CLI decodes them (param crc, signed i32).

Cases:
  vib_<name>    op "video_imagebind": params file, n_frames, fps_num, fps_den, idx[10], crc[10], ys, xs
  frame_<name>  op "video_ib_frame": in0 = one rgb24 frame [h, w, 3] (int16); out = the
                three crops of that frame as frame t=0 of a clip, sampled at ys x xs:
                [3 crops, 3 channels, 16, 16] (checks the per-frame pipeline on exact input)
  resize_<..>   op "resize_bilinear": in0 [planes, h, w] float32, out [planes, oh, ow] =
                torch.nn.functional.interpolate(bilinear, align_corners=False, antialias=False)
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import zlib
from fractions import Fraction

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden import GoldenWriter  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DATA = os.path.join(ROOT, "tests", "media", "data", "video_ib")
OUT = os.path.join(ROOT, "tests", "golden", "video_ib", "video_ib.gguf")

MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)
YS = [0, 1, 13, 29, 44, 60, 77, 100, 111, 112, 130, 151, 170, 199, 222, 223]
XS = [0, 2, 17, 31, 50, 66, 85, 103, 110, 113, 129, 148, 177, 201, 221, 223]

# name -> (file, lavfi source, extra encoder args); all H.264 yuv420p in MP4 (nb_frames known)
VIDEOS = {
    # landscape 320x240 @ 10 fps, 7 s: downscale to 298x224, 5 distinct clips
    "land": ("land_320x240_10fps_7s.mp4", "testsrc=size=320x240:rate=10:duration=7", ["-crf", "30", "-g", "20"]),
    # portrait 112x200 @ 7 fps, 3.3 s: upscale to 224x400, top/center/bottom crops, odd fps
    "portrait": ("portrait_112x200_7fps.mp4", "testsrc2=size=112x200:rate=7:duration=3.3", ["-crf", "28", "-g", "10"]),
    # 1.5 s at 30000/1001 fps, 80x48: shorter than a clip (5 copies of [0, 2)), upscale to 373x224
    # (odd 373 - 224: the centre crop offset rounds up)
    "short": ("short_80x48_29.97fps_1.5s.mp4", "testsrc=size=80x48:rate=30000/1001:duration=1.5", ["-crf", "26", "-g", "15"]),
    # 48x48 square @ 4 fps, 5 s: square frames (left/center/right offsets all 0), few frames per clip.
    # Widths are multiples of 16 on purpose: src/media/video.c (at the time of writing) lets
    # swscale write RGB24 rows into a packed buffer, which overruns the buffer when the width
    # is not a multiple of 16 and gives wrong last pixels when it is not a multiple of 8.
    "square": ("square_48x48_4fps_5s.mp4", "mandelbrot=size=48x48:rate=4,trim=duration=5", ["-crf", "24", "-g", "8"]),
}


# ---------------------------------------------------------------- test videos
def make_videos() -> None:
    os.makedirs(DATA, exist_ok=True)
    for name, (fn, src, extra) in VIDEOS.items():
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", src, "-c:v", "libx264",
                        "-pix_fmt", "yuv420p", "-bf", "2", *extra, "-movflags", "+faststart", "-map_metadata", "-1",
                        "-fflags", "+bitexact", "-flags:v", "+bitexact", os.path.join(DATA, fn)], check=True)


def probe(path: str) -> tuple[Fraction, int]:
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                        "stream=avg_frame_rate,nb_frames,width,height", "-of", "json", path],
                       check=True, capture_output=True, text=True)
    s = json.loads(r.stdout)["streams"][0]
    return Fraction(s["avg_frame_rate"]), int(s.get("nb_frames", 0) or 0)


def decode_all(path: str) -> np.ndarray:
    """Every frame as rgb24, [n, h, w, 3] (the ffmpeg CLI's decode + auto-inserted swscale)."""
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                        "-of", "csv=p=0", path], check=True, capture_output=True, text=True)
    w, h = (int(v) for v in r.stdout.strip().split(","))
    raw = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", path, "-map", "0:v:0", "-fps_mode",
                          "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], check=True,
                         capture_output=True).stdout
    assert len(raw) % (w * h * 3) == 0
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


# ---------------------------------------------------------------- pytorchvideo / data.py
class ConstantClipsPerVideoSampler:
    """pytorchvideo.data.clip_sampling.ConstantClipsPerVideoSampler (augs_per_clip=1)."""

    def __init__(self, clip_duration, clips_per_video):
        self._clip_duration = Fraction(clip_duration)
        self._clips_per_video = clips_per_video
        self._current_clip_index = 0

    def __call__(self, last_clip_end_time, video_duration, annotation):
        max_possible_clip_start = Fraction(max(video_duration - self._clip_duration, 0))
        uniform_clip = Fraction(max_possible_clip_start, max(self._clips_per_video - 1, 1))
        clip_start_sec = uniform_clip * self._current_clip_index
        clip_index = self._current_clip_index
        self._current_clip_index += 1
        is_last_clip = False
        if (self._current_clip_index >= self._clips_per_video
                or uniform_clip * self._current_clip_index > max_possible_clip_start):
            self._current_clip_index = 0
            is_last_clip = True
        return clip_start_sec, clip_start_sec + self._clip_duration, clip_index, 0, is_last_clip


def get_clip_timepoints(clip_sampler, duration):
    all_clips_timepoints = []
    is_last_clip = False
    end = 0.0
    while not is_last_clip:
        start, end, _, _, is_last_clip = clip_sampler(end, duration, annotation=None)
        all_clips_timepoints.append((start, end))
    return all_clips_timepoints


def get_clip_indices(fps: float, n_frames: int, start_sec, end_sec) -> list[int]:
    """EncodedVideoDecord.get_clip's frame indices."""
    duration = float(n_frames) / float(fps)
    if start_sec > end_sec or start_sec > duration:
        raise RuntimeError("Incorrect time window")
    start_idx = math.ceil(fps * start_sec)
    end_idx = math.ceil(fps * end_sec)
    end_idx = min(end_idx, n_frames)
    return list(range(start_idx, end_idx))


def uniform_temporal_subsample(x: torch.Tensor, num_samples: int, temporal_dim: int = -3) -> torch.Tensor:
    t = x.shape[temporal_dim]
    assert num_samples > 0 and t > 0
    indices = torch.linspace(0, t - 1, num_samples)
    indices = torch.clamp(indices, 0, t - 1).long()
    return torch.index_select(x, temporal_dim, indices)


def short_side_scale(x: torch.Tensor, size: int) -> torch.Tensor:
    assert len(x.shape) == 4 and x.dtype == torch.float32
    c, t, h, w = x.shape
    if w < h:
        new_h = int(math.floor((float(h) / w) * size))
        new_w = size
    else:
        new_h = size
        new_w = int(math.floor((float(w) / h) * size))
    return torch.nn.functional.interpolate(x, size=(new_h, new_w), mode="bilinear", align_corners=False)


def normalize_video(clip: torch.Tensor) -> torch.Tensor:
    """torchvision.transforms._transforms_video.NormalizeVideo (inplace=False)."""
    clip = clip.clone()
    mean = torch.as_tensor(MEAN, dtype=clip.dtype)
    std = torch.as_tensor(STD, dtype=clip.dtype)
    clip.sub_(mean[:, None, None, None]).div_(std[:, None, None, None])
    return clip


def uniform_crop(images: torch.Tensor, size: int, spatial_idx: int) -> torch.Tensor:
    """imagebind/data.py uniform_crop (no boxes, no scale_size)."""
    height, width = images.shape[2], images.shape[3]
    y_offset = int(math.ceil((height - size) / 2))
    x_offset = int(math.ceil((width - size) / 2))
    if height > width:
        if spatial_idx == 0:
            y_offset = 0
        elif spatial_idx == 2:
            y_offset = height - size
    else:
        if spatial_idx == 0:
            x_offset = 0
        elif spatial_idx == 2:
            x_offset = width - size
    return images[:, :, y_offset:y_offset + size, x_offset:x_offset + size]


def imagebind_video(frames: np.ndarray, fps: float) -> tuple[torch.Tensor, list[int]]:
    """load_and_transform_video_data for one video whose decoded frames are `frames`
    [n, h, w, 3] uint8 at `fps`: ([15, 3, 2, 224, 224], the 10 selected frame indices)."""
    n = frames.shape[0]
    duration = float(n) / float(fps)
    sampler = ConstantClipsPerVideoSampler(clip_duration=2, clips_per_video=5)
    all_video, sel = [], []
    for start, end in get_clip_timepoints(sampler, duration):
        idxs = get_clip_indices(fps, n, start, end)
        video = torch.from_numpy(frames[idxs].copy()).to(torch.float32).permute(3, 0, 1, 2)  # thwc_to_cthw
        video_clip = uniform_temporal_subsample(video, 2)
        sel += [idxs[0], idxs[-1]]
        all_video.append(video_clip / 255.0)
    all_video = [normalize_video(short_side_scale(clip, 224)) for clip in all_video]
    res = []
    for video in all_video:
        for spatial_idx in (0, 1, 2):
            res.append(uniform_crop(video, 224, spatial_idx))
    return torch.stack(res, dim=0), sel


def frame_crops(frame: np.ndarray) -> torch.Tensor:
    """One frame through /255, ShortSideScale, NormalizeVideo, 3 crops: [3 crops, 3, 224, 224]."""
    x = torch.from_numpy(frame.copy()).to(torch.float32).permute(2, 0, 1)[:, None] / 255.0  # (C, 1, H, W)
    x = normalize_video(short_side_scale(x, 224))
    return torch.stack([uniform_crop(x, 224, j)[:, 0] for j in range(3)], 0)


def crc_i32(b: bytes) -> int:
    c = zlib.crc32(b) & 0xFFFFFFFF
    return c - (1 << 32) if c >= (1 << 31) else c


def sample(t: torch.Tensor) -> torch.Tensor:
    return t[..., YS, :][..., XS]


# ---------------------------------------------------------------- main
def main() -> None:
    make_videos()
    gw = GoldenWriter(OUT, generator="tools/ref/make_golden_video_ib.py",
                      compute="torch float32 ports of imagebind data.py + pytorchvideo on ffmpeg-CLI rgb24 frames")
    for name, (fn, _, _) in VIDEOS.items():
        path = os.path.join(DATA, fn)
        fps_q, nb = probe(path)
        frames = decode_all(path)
        n = frames.shape[0]
        assert nb in (0, n), (name, nb, n)
        fps = float(fps_q)  # decord get_avg_fps: avg_frame_rate num / den
        out, sel = imagebind_video(frames, fps)
        h, w = frames.shape[1:3]
        print(f"{name}: {w}x{h}, {n} frames at {fps_q} fps = {n / fps:.3f} s, {os.path.getsize(path)} bytes, "
              f"idx {sel}")
        gw.add_case(f"vib_{name}", "video_imagebind", inputs=[], out=sample(out),
                    params={"file": fn, "n_frames": n, "fps_num": fps_q.numerator, "fps_den": fps_q.denominator, "idx": sel,
                            "crc": [crc_i32(frames[i].tobytes()) for i in sel], "ys": YS, "xs": XS},
                    tol_nmse=1e-12, tol_max_abs=1e-6)
        if name in ("portrait", "short"):
            f = frames[sel[3]]
            ref = frame_crops(f)
            assert torch.equal(ref, out[3:6, :, 1]), name  # clip 1's second frame, the same computation
            gw.add_case(f"frame_{name}", "video_ib_frame", inputs=[f.astype(np.int16)], out=sample(ref),
                        params={"ys": YS, "xs": XS}, tol_nmse=1e-12, tol_max_abs=1e-6, dtypes=[np.int16])
    # the float resize alone, against torch.nn.functional.interpolate
    rng = np.random.default_rng(7)
    sizes = [  # name, planes, h, w, oh, ow
        ("up", 3, 11, 17, 97, 150),
        ("down", 1, 120, 160, 71, 97),
        ("mixed", 2, 90, 40, 33, 130),
        ("same_w", 1, 30, 50, 100, 50),
        ("ib_short", 1, 48, 64, 224, 298),
        ("tiny_down", 2, 7, 9, 3, 5),     # oh + ow <= 128: torch's other kernel, up to ~3e-6 apart
        ("tiny_up", 1, 20, 20, 40, 60),
        ("one_px", 1, 1, 1, 130, 7),
    ]
    for nm, p, h, w, oh, ow in sizes:
        x = rng.random((p, h, w), dtype=np.float32) * 4 - 2
        y = torch.nn.functional.interpolate(torch.from_numpy(x)[None], size=(oh, ow), mode="bilinear",
                                            align_corners=False, antialias=False)[0]
        generic = oh + ow > 128
        gw.add_case(f"resize_{nm}", "resize_bilinear", inputs=[x], out=y, params={"oh": oh, "ow": ow},
                    tol_nmse=0.0 if generic else 1e-12, tol_max_abs=0.0 if generic else 5e-6)
    gw.write()
    print("wrote %s (%d bytes of tensors)" % (OUT, gw.nbytes()))


if __name__ == "__main__":
    main()
