#!/usr/bin/env python3
"""diffusers (PyTorch CPU, float32) side of bench/diffusion: times ONE component of the pipeline
folder written by make_sd15_random.py, in its own process so its peak RSS is its own.
  --part unet: unet(latents [2,4,S,S], t, encoder_hidden_states [2,77,768]) -- one classifier-free-
               guidance step (the batch-2 call StableDiffusionPipeline makes per step)
  --part vae:  vae.decode(latents [1,4,S,S]) -> [1,3,8S,8S]
First call reported apart (warm-up), then best and mean of --reps calls, and cpu_s (process CPU
seconds per call, mean over those calls). Prints one JSON line.
Usage: .venv-ref/bin/python bench/diffusion/bench_diffusers.py DIR --part unet|vae [--threads 2] [--reps 2]"""
import argparse
import json
import resource
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--part", choices=("unet", "vae"), required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--side", type=int, default=64)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    t0 = time.perf_counter()
    if a.part == "unet":
        from diffusers import UNet2DConditionModel
        m = UNet2DConditionModel.from_pretrained(a.dir, subfolder="unet", torch_dtype=torch.float32).eval()
        x = torch.randn(2, 4, a.side, a.side)
        ctx = torch.randn(2, 77, m.config.cross_attention_dim)
        run = lambda k: m(x, torch.tensor([999 - 20 * k] * 2), encoder_hidden_states=ctx).sample  # noqa: E731
    else:
        from diffusers import AutoencoderKL
        m = AutoencoderKL.from_pretrained(a.dir, subfolder="vae", torch_dtype=torch.float32).eval()
        z = torch.randn(1, 4, a.side, a.side)
        run = lambda k: m.decode(z / m.config.scaling_factor).sample  # noqa: E731
    t_load = time.perf_counter() - t0
    times, cpus = [], []
    with torch.inference_mode():
        for k in range(a.reps + 1):
            t, c = time.perf_counter(), time.process_time()
            out = run(k)
            times.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
    rest = times[1:]
    print(json.dumps({"part": a.part, "engine": "diffusers", "threads": a.threads, "reps": a.reps,
                      "load_s": round(t_load, 3), "first_s": round(times[0], 4), "best_s": round(min(rest), 4),
                      "mean_s": round(sum(rest) / len(rest), 4),
                      "cpu_s": round(sum(cpus[1:]) / len(rest), 4),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
                      "out_shape": list(out.shape), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
