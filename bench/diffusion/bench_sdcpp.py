#!/usr/bin/env python3
"""stable-diffusion.cpp side of bench/diffusion (PyPI stable-diffusion-cpp-python, which builds
sd.cpp from source), on the same diffusers folder (sd.cpp loads a diffusers StableDiffusionPipeline
folder directly: unet/diffusion_pytorch_model.safetensors, vae/..., text_encoder/model.safetensors,
renaming the tensors to the original LDM layout itself -- src/model.cpp init_from_diffusers_file).

sd.cpp's API generates whole images, so one process loads the model once and generates a 512x512
image with cfg_scale 7 (a cond and an uncond UNet evaluation per step, batch 1 each: sd.cpp's
sample loop runs them as two compute calls), Euler, at --steps-a and at --steps-b sampling steps
(--runs times each, best kept; run.sh passes 1, 2 and 1 run), parsing sd.cpp's own log lines
"sampling completed, taking X s" and "decode_first_stage completed, taking X s":
  sampling_1step_s = sampling time at --steps-a (1): one step plus graph setup (table.py's figure)
  step_s     = (sampling(b) - sampling(a)) / (b - a)   (setup cancels; noisier under load)
  step_cpu_s = the same difference of process CPU seconds around whole generations
  vae_s      = decode_first_stage time (best over the runs)
Prints one JSON line; peak_rss_mb is the whole process (text encoder + UNet + VAE weights,
held as the wtype chosen: f16 as stored, or q8_0 quantized at load).
Usage: .venv-bench/bin/python bench/diffusion/bench_sdcpp.py DIR [--threads 2] [--wtype default|q8_0]"""
import argparse
import io
import json
import re
import resource
import sys
import time


class Tee(io.TextIOBase):
    def __init__(self, inner):
        self.inner, self.buf = inner, []

    def write(self, s):
        self.buf.append(s)
        self.inner.write(s)
        return len(s)

    def flush(self):
        self.inner.flush()

    def text(self):
        return "".join(self.buf)


def last(pattern, text):
    m = re.findall(pattern, text)
    return float(m[-1]) if m else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--wtype", default="default")
    ap.add_argument("--steps-a", type=int, default=1)
    ap.add_argument("--steps-b", type=int, default=3)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--size", type=int, default=512, help="image side (latent side x 8)")
    ap.add_argument("--flash", action="store_true", help="diffusion_flash_attn")
    a = ap.parse_args()
    tee = Tee(sys.stderr)
    sys.stderr = tee  # sd.cpp's log callback prints to sys.stderr
    import stable_diffusion_cpp
    from stable_diffusion_cpp import StableDiffusion
    t0 = time.perf_counter()
    sd = StableDiffusion(model_path=a.dir, n_threads=a.threads, wtype=a.wtype, diffusion_flash_attn=a.flash,
                         verbose=True)
    t_load = time.perf_counter() - t0
    res = {}
    for steps in (a.steps_a, a.steps_b):
        samp, dec, wall, cpu = [], [], [], []
        for _ in range(a.runs):
            n0 = len(tee.buf)
            t, c = time.perf_counter(), time.process_time()
            sd.generate_image(prompt="a photograph of an astronaut riding a horse", negative_prompt="",
                              width=a.size, height=a.size, cfg_scale=7.0, sample_steps=steps, seed=42,
                              sample_method="euler", scheduler="discrete")
            wall.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            log = "".join(tee.buf[n0:])
            samp.append(last(r"sampling completed, taking ([0-9.]+)s", log))
            dec.append(last(r"decode_first_stage completed, taking ([0-9.]+)s", log))
        res[steps] = {"sampling_s": samp, "decode_s": dec, "wall_s": wall, "cpu_s": cpu}
    sa, sb = min(res[a.steps_a]["sampling_s"]), min(res[a.steps_b]["sampling_s"])
    decs = [d for r in res.values() for d in r["decode_s"] if d is not None]
    out = {"engine": "stable-diffusion.cpp", "wtype": a.wtype, "size": a.size, "threads": a.threads, "flash": a.flash,
           "load_s": round(t_load, 2), "runs": res,
           "step_s": round((sb - sa) / (a.steps_b - a.steps_a), 3), "sampling_1step_s": sa,
           "step_cpu_s": round((min(res[a.steps_b]["cpu_s"]) - min(res[a.steps_a]["cpu_s"])) / (a.steps_b - a.steps_a), 3),
           "vae_s": min(decs) if decs else None,
           "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
           "version": getattr(stable_diffusion_cpp, "__version__", "?")}
    sys.stderr = tee.inner
    print(json.dumps(out))


if __name__ == "__main__":
    main()
