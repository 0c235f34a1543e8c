#!/usr/bin/env python3
"""Check that the benchmarked any2any calls compute the same thing as diffusers on the same
weights: rebuilds bench_unet_step's deterministic inputs (uniform [-1, 1) from its 32-bit LCG,
seeds 7 for the latents and 11 for the context, ggml order = torch's contiguous order, timestep
999 - 20 * REPS of the last call), runs the diffusers UNet / VAE decoder in float32 on the
pipeline folder, and compares with the raw F32 output bench_unet_step --dump wrote.
Prints nmse = sum((ours - ref)^2) / sum(ref^2) and max |ours - ref|.
Usage: .venv-ref/bin/python bench/diffusion/crosscheck.py DIR --part unet|vae --dump F
           [--side 16] [--batch 2] [--reps 1]"""
import argparse
import json

import numpy as np
import torch


def lcg_uniform(n, seed):
    out = np.empty(n, dtype=np.float32)
    s = seed
    for i in range(n):
        s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
        out[i] = np.float32(s >> 8) / np.float32(16777216.0) * np.float32(2.0) - np.float32(1.0)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--part", choices=("unet", "vae"), required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--side", type=int, default=16)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--reps", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(2)
    S = a.side
    with torch.inference_mode():
        if a.part == "unet":
            from diffusers import UNet2DConditionModel
            m = UNet2DConditionModel.from_pretrained(a.dir, subfolder="unet", torch_dtype=torch.float32).eval()
            N, D = a.batch, m.config.cross_attention_dim
            x = torch.from_numpy(lcg_uniform(N * 4 * S * S, 7).reshape(N, 4, S, S))
            c = torch.from_numpy(lcg_uniform(N * 77 * D, 11).reshape(N, 77, D))
            t = torch.tensor([999.0 - 20.0 * a.reps] * N)
            ref = m(x, t, encoder_hidden_states=c).sample.numpy()
        else:
            from diffusers import AutoencoderKL
            m = AutoencoderKL.from_pretrained(a.dir, subfolder="vae", torch_dtype=torch.float32).eval()
            z = torch.from_numpy(lcg_uniform(4 * S * S, 7).reshape(1, 4, S, S))
            ref = m.decode(z).sample.numpy()
    ours = np.fromfile(a.dump, dtype=np.float32).reshape(ref.shape)
    d = ours.astype(np.float64) - ref
    print(json.dumps({"part": a.part, "shape": list(ref.shape),
                      "nmse": float((d ** 2).sum() / (ref.astype(np.float64) ** 2).sum()),
                      "max_abs": float(np.abs(d).max()), "ref_rms": float(np.sqrt((ref.astype(np.float64) ** 2).mean()))}))


if __name__ == "__main__":
    main()
