#!/usr/bin/env python3
"""Golden references for the ImageBind encoder (src/models/encoders/imagebind.c) and its
checkpoint converter (src/models/encoders/imagebind_convert.c).

Builds the UPSTREAM imagebind_model.ImageBindModel (imagebind-packaged 0.1.2) with tiny widths
(vision 32 wide / 2 blocks / 2 heads, audio 24/2/2, text 4/2/2, out 16; depth, thermal and
IMU tiny too -- the converter skips them) but the real kernel sizes, 224x224 images, 128x204
fbanks, 77-token contexts and the 49408-token vocabulary, randomizes every parameter (LayerNorm
weights/biases, biases, bias_k/bias_v, logit scales) so that each one matters, and writes:

  tests/golden/imagebind/tiny.pth     torch.save(model.state_dict()) exactly as upstream saves
                                      imagebind_huge.pth (a torch zip of the state_dict)
  tests/golden/imagebind/image.png    a small synthetic PNG (the real-media case)
  tests/golden/imagebind/ref.gguf     golden cases (see below)

Inputs are not stored (they would be megabytes): the random vision/audio inputs come from the
integer hash `hash_fill` below, which the C test reimplements bit for bit (every value is
k / 2^23 - 1 times a power of two, exact in float32). Cases (op, params -> out):
  vision   n_clips, n_frames, seed            out [out_dim] = model({vision: x})[0]
           n_frames 1: x [1, 3, 224, 224] (an image); 2: x [1, n_clips, 3, 2, 224, 224]
  audio    n_clips, seed, scale (1: upstream output with the logit scale, 0: unit-vector
           embeddings before the scale, then the same mean over clips)
           x [1, n_clips, 1, 128, 204]
  text     in0 = I32 [77, n] token ids, scale as for audio; out [out_dim, n]
  image    the PNG through imagebind data.py's vision transform (Resize(224, bicubic),
           CenterCrop(224), ToTensor, Normalize(CLIP mean/std)) then the vision encoder
Run with the reference venv: .venv-ref/bin/python tools/ref/make_golden_imagebind.py
"""
import os
import sys
import types

import numpy as np
import torch

sys.modules["imagebind.data"] = types.ModuleType("imagebind.data")  # needs torchaudio/pytorchvideo
from imagebind.models import imagebind_model  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from golden import GoldenWriter  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "golden", "imagebind")


def hash_fill(n, seed, amp):
    """n float32 values in [-amp, amp): v_i = (k_i / 2^23 - 1) * amp with k_i a 24-bit hash of
    (i, seed). The C test (tests/golden/test_golden_imagebind.c, hash_fill) computes the same."""
    i = np.arange(n, dtype=np.uint64)
    m = np.uint64(0xFFFFFFFF)
    h = (i * np.uint64(2654435761) + np.uint64(seed) * np.uint64(0x9E3779B9)) & m
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x7FEB352D)) & m
    h ^= h >> np.uint64(15)
    h = (h * np.uint64(0x846CA68B)) & m
    h ^= h >> np.uint64(16)
    k = (h >> np.uint64(8)).astype(np.float64)
    return ((k / float(1 << 23) - 1.0) * amp).astype(np.float32)


def make_model():
    torch.manual_seed(1234)
    m = imagebind_model.ImageBindModel(
        out_embed_dim=16,
        vision_embed_dim=32, vision_num_blocks=2, vision_num_heads=2,
        audio_embed_dim=24, audio_num_blocks=2, audio_num_heads=2, audio_drop_path=0.1,
        text_embed_dim=4, text_num_blocks=2, text_num_heads=2,
        depth_embed_dim=8, depth_num_blocks=1, depth_num_heads=1,
        thermal_embed_dim=8, thermal_num_blocks=1, thermal_num_heads=1,
        imu_embed_dim=8, imu_num_blocks=1, imu_num_heads=1,
    )
    m.eval()
    g = torch.Generator().manual_seed(99)
    with torch.no_grad():
        for name, p in list(m.named_parameters()) + list(m.named_buffers()):
            if name.endswith("text.mask"):
                continue
            if name.endswith("log_logit_scale"):
                continue
            if p.ndim == 1 and ("norm" in name or name.endswith(".0.weight") or name.endswith(".0.bias")):
                # LayerNorm weights around 1, biases around 0 (head norms are Sequential index 0)
                if name.endswith("weight"):
                    p.copy_(1.0 + 0.3 * torch.randn(p.shape, generator=g))
                else:
                    p.copy_(0.2 * torch.randn(p.shape, generator=g))
            elif p.ndim == 1 or "bias_k" in name or "bias_v" in name:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
        # logit scales: audio (buffer) exp(2.7) = 14.9 (under the clip), text exp(5.0) = 148 -> clipped to 100
        m.modality_postprocessors["audio"][1].log_logit_scale.fill_(2.7)
        m.modality_postprocessors["text"][1].log_logit_scale.fill_(5.0)
    return m


def unscaled(m, modality, x):
    """Upstream forward with the postprocessor's Normalize but not its logit scaling."""
    reduce = x.ndim >= 5
    if reduce:
        B, S = x.shape[:2]
        x = x.reshape(B * S, *x.shape[2:])
    v = m.modality_preprocessors[modality](**{modality: x})
    v2 = m.modality_trunks[modality](**v["trunk"])
    v3 = m.modality_heads[modality](v2, **v["head"])
    v4 = torch.nn.functional.normalize(v3, dim=-1, p=2)
    if reduce:
        v4 = v4.reshape(B, S, -1).mean(dim=1)
    return v4


def make_png(path):
    """A 96x72 RGB picture (gradients, a disc, noise), deterministic."""
    from PIL import Image

    w, h = 96, 72
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 255 * xx / (w - 1)
    gch = 255 * yy / (h - 1)
    b = 128 + 100 * np.sin(xx / 7.0) * np.cos(yy / 5.0)
    disc = (xx - 60) ** 2 + (yy - 30) ** 2 < 15 ** 2
    r[disc], gch[disc], b[disc] = 250, 30, 40
    noise = hash_fill(w * h * 3, 77, 20.0).reshape(h, w, 3)
    img = np.stack([r, gch, b], axis=-1) + noise
    img = np.clip(np.round(img), 0, 255).astype(np.uint8)
    Image.fromarray(img, "RGB").save(path, optimize=True)


def imagebind_vision_transform(path):
    """imagebind data.py load_and_transform_vision_data for one image."""
    from PIL import Image
    from torchvision import transforms

    t = transforms.Compose([
        transforms.Resize(224, interpolation=transforms.InterpolationMode.BICUBIC),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize(mean=(0.48145466, 0.4578275, 0.40821073), std=(0.26862954, 0.26130258, 0.27577711)),
    ])
    with open(path, "rb") as f:
        img = Image.open(f).convert("RGB")
    return t(img)


def main():
    os.makedirs(OUT, exist_ok=True)
    m = make_model()
    torch.save(m.state_dict(), os.path.join(OUT, "tiny.pth"))
    png = os.path.join(OUT, "image.png")
    make_png(png)

    gw = GoldenWriter(os.path.join(OUT, "ref.gguf"), generator="tools/ref/make_golden_imagebind.py",
                      compute="upstream imagebind-packaged 0.1.2 ImageBindModel forward, float32, CPU")
    tol = dict(tol_nmse=1e-11, tol_max_abs=1e-4)
    with torch.no_grad():
        # vision: one image (PadIm2Video repeats it to 2 frames), then a video of 2 clips
        x = torch.from_numpy(hash_fill(3 * 224 * 224, 1, 2.0).reshape(1, 3, 224, 224))
        out = m({"vision": x})["vision"][0]
        gw.add_case("vision_image", "vision", [], out, params={"n_clips": 1, "n_frames": 1, "seed": 1, "amp": 2.0}, **tol)
        x = torch.from_numpy(hash_fill(2 * 3 * 2 * 224 * 224, 2, 2.0).reshape(1, 2, 3, 2, 224, 224))
        out = m({"vision": x})["vision"][0]
        gw.add_case("vision_video", "vision", [], out, params={"n_clips": 2, "n_frames": 2, "seed": 2, "amp": 2.0}, **tol)
        # audio: 3 clips
        x = torch.from_numpy(hash_fill(3 * 128 * 204, 3, 4.0).reshape(1, 3, 1, 128, 204))
        out = m({"audio": x})["audio"][0]
        gw.add_case("audio_3clips", "audio", [], out, params={"n_clips": 3, "seed": 3, "amp": 4.0, "scale": 1}, **tol)
        out = unscaled(m, "audio", x)[0]
        gw.add_case("audio_3clips_unit", "audio", [], out, params={"n_clips": 3, "seed": 3, "amp": 4.0, "scale": 0}, **tol)
        x = torch.from_numpy(hash_fill(1 * 128 * 204, 4, 4.0).reshape(1, 1, 128, 204))
        out = m({"audio": x})["audio"][0]
        gw.add_case("audio_1clip", "audio", [], out, params={"n_clips": 1, "seed": 4, "amp": 4.0, "scale": 1}, **tol)
        # text: SOT, a few ids, EOT, zero padding
        tok = torch.zeros(2, 77, dtype=torch.int64)
        seqs = [[49406, 320, 1125, 539, 320, 2368, 49407], [49406, 1929, 268, 7651, 11, 500, 12, 8, 2368, 3940, 49407]]
        for i, s in enumerate(seqs):
            tok[i, : len(s)] = torch.tensor(s)
        out = m({"text": tok})["text"]
        gw.add_case("text_2seq", "text", [tok.to(torch.int32)], out, params={"scale": 1}, **tol)
        out = unscaled(m, "text", tok)
        gw.add_case("text_2seq_unit", "text", [tok.to(torch.int32)], out, params={"scale": 0}, **tol)
        # real media: the PNG through ImageBind's vision transform
        x = imagebind_vision_transform(png).unsqueeze(0)
        out = m({"vision": x})["vision"][0]
        gw.add_case("image_png", "image", [], out, params={"file": 1}, **tol)
    gw.write()
    for f in sorted(os.listdir(OUT)):
        print(f"{f}: {os.path.getsize(os.path.join(OUT, f))} bytes")


if __name__ == "__main__":
    main()
