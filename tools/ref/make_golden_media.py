#!/usr/bin/env python3
"""Sample images (tests/media/data/image/) and golden references for image decoding and the
ImageBind vision preprocessing (tests/golden/media/imagebind_vision.gguf).

Run: .venv-ref/bin/python tools/ref/make_golden_media.py   (needs pillow, torchvision)

The sample images are small synthetic pictures (gradients + shapes) written with PIL (a
16-bit RGB PNG is written by hand, PIL cannot). The references are what the Python pipelines
see: PIL's Image.open(f).convert("RGB") for decoding, and ImageBind's data.py transform
  Resize(224, BICUBIC) -> CenterCrop(224) -> ToTensor() -> Normalize(CLIP mean, std)
from torchvision on that PIL image.

Cases (the C test tests/media/test_image.c dispatches on CASE.op):
  decode_hash  params file, orient (i32: apply EXIF orientation); out I32 [4] =
               [w, h, fnv_lo, fnv_hi]: FNV-1a 64 of the RGB bytes [h][w][3] -- exact match
               (PNG, BMP, lossless WebP, GIF: the first frame as Pillow composes it). For 16-bit gray PNGs the reference is the high byte
               (PIL's convert("RGB") clips the 16-bit value to 255 instead; we differ on purpose).
  decode       params file, orient; out I32 [h, w, 3] pixels; tol_max_abs (JPEG: 2, since IDCT
               and upsampling implementations may differ between libjpeg builds; lossy WebP: 3)
  resize       params file, w, h, filter ("bicubic" | "bilinear"); out I32 [h, w, 3] = PIL
               Image.resize of the decoded file; exact
  center_crop  params file, w, h; out I32 [h, w, 3] = torchvision CenterCrop((h, w)); exact
  normalize    in0 I32 [256] = 0..255; out F32 [3, 256] = ToTensor+Normalize of a 1x256 image
               whose three channels all run 0..255; exact
  imagebind    params file, hash_lo, hash_hi (FNV-1a 64 of the full float32 output bytes,
               [3, 224, 224]); out F32 [3, 45, 45] = the output at rows and columns 2::5
               (the full tensor is 588 KB; the hash checks all of it); tol_max_abs 0.02
"""

from __future__ import annotations

import io
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image, ImageDraw, ImageOps

import torch
from torchvision import transforms as T

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden import GoldenWriter  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DATA = os.path.join(ROOT, "tests", "media", "data", "image")
OUT = os.path.join(ROOT, "tests", "golden", "media", "imagebind_vision.gguf")
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus", "image")


def fnv1a64(b: bytes) -> int:
    h = 0xCBF29CE484222325
    for x in b:
        h ^= x
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def fnv1a64_np(a: np.ndarray) -> int:
    """FNV-1a 64 of the bytes of a (vectorized enough for ~600 KB: loops in Python over bytes
    is slow but fine at this size)."""
    return fnv1a64(np.ascontiguousarray(a).tobytes())


def i32(v: int) -> int:
    return v - (1 << 32) if v >= (1 << 31) else v


def synth(w: int, h: int, seed: int) -> Image.Image:
    """Gradients, shapes and a few hard edges (exercise ringing/clipping in bicubic)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 255 * x / max(w - 1, 1)
    g = 255 * y / max(h - 1, 1)
    b = 127.5 + 127.5 * np.sin((x + 2 * y) / (3.0 + seed))
    im = Image.fromarray(np.stack([r, g, b], -1).round().astype(np.uint8), "RGB")
    d = ImageDraw.Draw(im)
    d.ellipse([w * 0.1, h * 0.15, w * 0.55, h * 0.6], fill=(250, 20 + seed * 10, 30))
    d.rectangle([w * 0.5, h * 0.55, w * 0.9, h * 0.9], fill=(10, 10, 240), outline=(255, 255, 255))
    d.line([0, h - 1, w - 1, 0], fill=(0, 0, 0), width=max(1, w // 40))
    d.polygon([(w * 0.7, h * 0.05), (w * 0.95, h * 0.4), (w * 0.6, h * 0.35)], fill=(255, 230, 0))
    return im


def png_rgb16(path: str, arr: np.ndarray) -> None:
    """Write a 16-bit RGB PNG by hand (PIL cannot): arr uint16 [h, w, 3]."""
    h, w, _ = arr.shape
    raw = b"".join(b"\x00" + arr[yy].astype(">u2").tobytes() for yy in range(h))

    def chunk(t: bytes, d: bytes) -> bytes:
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def make_samples() -> dict[str, str]:
    """Write the sample files; returns name -> kind."""
    os.makedirs(DATA, exist_ok=True)
    files = {}

    def save(im: Image.Image, name: str, **kw) -> None:
        im.save(os.path.join(DATA, name), **kw)
        files[name] = name.rsplit(".", 1)[1]

    save(synth(320, 240, 0), "rgb_320x240.png", optimize=True)
    save(synth(97, 181, 1), "rgb_97x181.png", optimize=True)
    g = np.asarray(synth(40, 30, 2).convert("L"), dtype=np.uint16)
    g16 = (g.astype(np.uint32) * 257 + (np.arange(40)[None, :] * 7) % 256).astype(np.uint16)
    save(Image.fromarray(g16), "gray16_40x30.png")
    save(synth(50, 40, 3).quantize(colors=37), "palette_50x40.png", optimize=True)
    rgba = synth(45, 35, 4).convert("RGBA")
    rgba.putalpha(Image.fromarray((np.arange(45 * 35) % 256).reshape(35, 45).astype(np.uint8)))
    save(rgba, "rgba_45x35.png")
    save(synth(33, 17, 5).convert("LA"), "gray_alpha_33x17.png")
    save(synth(29, 13, 6).convert("1"), "gray1_29x13.png")
    a16 = (np.asarray(synth(24, 20, 7), dtype=np.uint32) * 257).astype(np.uint16)
    a16[..., 0] ^= (np.arange(24, dtype=np.uint16)[None, :] * 37) & 0xFF  # low bytes differ
    png_rgb16(os.path.join(DATA, "rgb16_24x20.png"), a16)
    files["rgb16_24x20.png"] = "png"
    save(synth(64, 48, 8), "photo_q90_64x48.jpg", quality=90)
    save(synth(40, 30, 9).convert("L"), "gray_q90_40x30.jpg", quality=90)
    save(synth(40, 30, 10), "progressive_40x30.jpg", quality=85, progressive=True)
    ex = Image.Exif()
    ex[0x0112] = 6
    save(synth(48, 32, 11), "exif6_48x32.jpg", quality=90, exif=ex.tobytes())
    save(synth(37, 23, 12), "bmp24_37x23.bmp")
    save(synth(30, 20, 13).quantize(colors=50), "bmp8_30x20.bmp")
    save(synth(21, 11, 14).convert("1"), "bmp1_21x11.bmp")
    save(rgba.resize((19, 13)), "bmp32_19x13.bmp")
    save(synth(16, 12, 17).convert("CMYK"), "cmyk_16x12.jpg", quality=90)
    save(synth(32, 24, 15), "lossless_32x24.webp", lossless=True)
    save(synth(32, 24, 16), "lossy_32x24.webp", quality=80)
    # GIF (first frame only; Pillow writes interlaced GIFs unless told not to or < 16 px)
    save(synth(31, 23, 18).quantize(colors=40), "palette_trns_31x23.gif", transparency=5, interlace=False)
    f0 = synth(24, 18, 19).quantize(colors=24)
    f1 = synth(24, 18, 20).transpose(Image.Transpose.FLIP_LEFT_RIGHT).quantize(colors=24)
    save(f0, "anim2_24x18.gif", save_all=True, append_images=[f1], duration=[100, 200], loop=0,
         interlace=False)
    save(synth(27, 33, 21).quantize(colors=64), "interlaced_27x33.gif", interlace=True)
    return files


def pil_rgb(name: str) -> np.ndarray:
    """The reference decode: PIL convert("RGB"), except 16-bit gray (high byte)."""
    im = Image.open(os.path.join(DATA, name))
    if im.mode in ("I;16", "I;16B", "I"):
        a = (np.asarray(im).astype(np.uint32) >> 8).astype(np.uint8)
        return np.repeat(a[..., None], 3, axis=2)
    return np.asarray(im.convert("RGB"))


def main() -> None:
    files = make_samples()
    total = sum(os.path.getsize(os.path.join(DATA, f)) for f in files)
    print(f"samples: {len(files)} files, {total} bytes")
    gw = GoldenWriter(OUT, generator="tools/ref/make_golden_media.py",
                      compute="PIL decode + PIL resize + torchvision transforms (float32)")

    # ---- decoding ----
    for name in sorted(files):
        kind = files[name]
        case = "dec_" + name.replace(".", "_")
        if kind == "jpg" or name.startswith("lossy"):
            orient = 1 if name.startswith("exif") else 0
            im = Image.open(os.path.join(DATA, name))
            if orient:
                im = ImageOps.exif_transpose(im)
            ref = np.asarray(im.convert("RGB")).astype(np.int32)
            tol = 2.0 if kind == "jpg" else 3.0
            gw.add_case(case, "decode", [], ref, params={"file": name, "orient": orient},
                        tol_nmse=1e-4, tol_max_abs=tol, out_dtype=np.int32)
        else:
            rgb = pil_rgb(name)
            h = fnv1a64(rgb.tobytes())
            ref = np.array([rgb.shape[1], rgb.shape[0], i32(h & 0xFFFFFFFF), i32(h >> 32)], dtype=np.int32)
            gw.add_case(case, "decode_hash", [], ref, params={"file": name, "orient": 0},
                        tol_nmse=0.0, tol_max_abs=0.0, out_dtype=np.int32)

    # ---- resize (PIL) ----
    for i, (name, w, h, filt) in enumerate([
        ("rgb_97x181.png", 31, 57, "bicubic"),
        ("rgba_45x35.png", 60, 20, "bicubic"),  # vertical pass first in Pillow 13
        ("rgb_320x240.png", 45, 33, "bilinear"),
        ("gray1_29x13.png", 48, 30, "bicubic"),
        ("palette_50x40.png", 56, 22, "bilinear"),  # vertical pass first in Pillow 13
    ]):
        im = Image.fromarray(pil_rgb(name), "RGB")
        res = im.resize((w, h), Image.Resampling.BICUBIC if filt == "bicubic" else Image.Resampling.BILINEAR)
        gw.add_case(f"resize{i}", "resize", [], np.asarray(res).astype(np.int32),
                    params={"file": name, "w": w, "h": h, "filter": filt}, tol_nmse=0.0, tol_max_abs=0.0,
                    out_dtype=np.int32)

    # ---- center crop (torchvision on PIL) ----
    for i, (name, w, h) in enumerate([("rgb_97x181.png", 20, 21), ("gray1_29x13.png", 34, 10), ("rgba_45x35.png", 48, 38)]):
        im = Image.fromarray(pil_rgb(name), "RGB")
        cr = T.CenterCrop((h, w))(im)
        gw.add_case(f"crop{i}", "center_crop", [], np.asarray(cr).astype(np.int32),
                    params={"file": name, "w": w, "h": h}, tol_nmse=0.0, tol_max_abs=0.0, out_dtype=np.int32)

    # ---- normalize table ----
    mean = (0.48145466, 0.4578275, 0.40821073)
    std = (0.26862954, 0.26130258, 0.27577711)
    norm = T.Compose([T.ToTensor(), T.Normalize(mean, std)])
    ramp = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)
    table = norm(Image.fromarray(ramp, "RGB"))[:, 0, :]  # [3, 256]
    gw.add_case("normalize", "normalize", [np.arange(256, dtype=np.int32)], table, tol_nmse=0.0, tol_max_abs=0.0)

    # ---- the ImageBind vision transform (data.py) ----
    tf = T.Compose([
        T.Resize(224, interpolation=T.InterpolationMode.BICUBIC),
        T.CenterCrop(224),
        T.ToTensor(),
        T.Normalize(mean=mean, std=std),
    ])
    for name in ["rgb_320x240.png", "rgb_97x181.png", "palette_50x40.png"]:
        im = Image.fromarray(pil_rgb(name), "RGB")
        out = tf(im).numpy().astype(np.float32)
        assert out.shape == (3, 224, 224)
        # the transform is elementwise after the crop: check the table reproduces it exactly
        crop = np.asarray(T.CenterCrop(224)(T.Resize(224, interpolation=T.InterpolationMode.BICUBIC)(im)))
        recon = np.stack([table.numpy()[c][crop[..., c]] for c in range(3)])
        assert np.array_equal(recon, out), "normalize table does not reproduce the transform"
        h = fnv1a64(out.tobytes())
        case = "ib_" + name.replace(".", "_")
        gw.add_case(case, "imagebind", [], out[:, 2::5, 2::5],
                    params={"file": name, "hash_lo": i32(h & 0xFFFFFFFF), "hash_hi": i32(h >> 32)},
                    tol_nmse=1e-6, tol_max_abs=0.02)

    gw.write()
    print(f"wrote {OUT}: {len(gw.cases)} cases, {os.path.getsize(OUT)} bytes")

    # ---- fuzz seeds: the smallest samples ----
    os.makedirs(CORPUS, exist_ok=True)
    for name in files:
        p = os.path.join(DATA, name)
        if os.path.getsize(p) <= 4096:
            with open(p, "rb") as f, open(os.path.join(CORPUS, name), "wb") as g:
                g.write(f.read())


if __name__ == "__main__":
    main()
