#!/usr/bin/env python3
"""Golden references for the diffusion schedulers (src/pipeline/scheduler.c) from diffusers.

Drives the upstream schedulers (PNDM with skip_prk_steps, DDIM, Euler, Euler ancestral,
DPM-Solver++ 2M) exactly as the Stable Diffusion pipelines do, in float32 like a float32
pipeline, with a fake deterministic denoiser that the C test reproduces operation for
operation:

    x      = x_T * init_noise_sigma                  (txt2img)
           = add_noise(x0_img, x_T, timesteps[start]) (img2img, start from get_timesteps)
    for i in start .. len(timesteps)-1:
        x_in = scale_model_input(x, t_i)
        mo   = 0.1 * x_in + offsets[i]               (float32)
        x    = step(mo, t_i, x, noise = noise[i])    (DDIM eta > 0: variance_noise;
                                                       Euler a: the randn it draws)

tests/golden/schedulers/schedulers.gguf holds:
  bank           in0 offsets [51, 64], in1 noise [51, 64], in2 x_T [64], in3 x0_img [64]
  acp_*          out = alphas_cumprod (float32) for a beta config (params beta_start/beta_end as
                 strings, schedule)
  <run cases>    op "run": params kind, steps, pred, spacing, eta, karras, strength (string,
                 img2img when present), start; in0 = timesteps (float32), in1 =
                 [init_noise_sigma], in2 = sigmas (Euler kinds and DPM++; [0] otherwise);
                 out = the trajectory [n_run + 1, 64] (row 0 = the starting latents)
  cfg            in0 uncond, in1 cond, param scale; out = uncond + scale * (cond - uncond)
Run with the reference venv: .venv-ref/bin/python tools/ref/make_golden_schedulers.py
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from golden import GoldenWriter  # noqa: E402

import diffusers  # noqa: E402
import diffusers.schedulers.scheduling_euler_ancestral_discrete as mod_ea  # noqa: E402
from diffusers import (  # noqa: E402
    DDIMScheduler,
    DPMSolverMultistepScheduler,
    EulerAncestralDiscreteScheduler,
    EulerDiscreteScheduler,
    PNDMScheduler,
)

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "golden", "schedulers", "schedulers.gguf")
N = 64          # latent elements (1, 4, 4, 4)
SMAX = 51       # rows of the offset/noise banks (PNDM 50 steps has 51 timesteps)

# SD 1.5 scheduler_config.json (the AudioLDM / zeroscope files differ only where a case says)
SD15 = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
            steps_offset=1, trained_betas=None)

KINDS = {
    "pndm": (PNDMScheduler, dict(skip_prk_steps=True, set_alpha_to_one=False)),
    "ddim": (DDIMScheduler, dict(clip_sample=False, set_alpha_to_one=False)),
    "euler": (EulerDiscreteScheduler, dict()),
    "euler_a": (EulerAncestralDiscreteScheduler, dict()),
    "dpmpp_2m": (DPMSolverMultistepScheduler, dict(algorithm_type="dpmsolver++", solver_order=2, lower_order_final=True)),
}
PRED = {"eps": "epsilon", "v": "v_prediction"}


def make(kind, pred, spacing, karras):
    cls, extra = KINDS[kind]
    cfg = dict(SD15)
    cfg.update(extra)
    cfg["prediction_type"] = PRED[pred]
    cfg["timestep_spacing"] = spacing
    if karras:
        cfg["use_karras_sigmas"] = True
    return cls(**cfg)


class NoiseFeed:
    """Stands in for diffusers' randn_tensor in the Euler-ancestral module: returns the stored row."""

    def __init__(self):
        self.row = None

    def __call__(self, shape, **kw):
        assert tuple(shape) == tuple(self.row.shape), (shape, self.row.shape)
        return self.row.clone()


def run(kind, pred, spacing, steps, bank, eta=0.0, karras=False, strength=None):
    offsets, noise, x_t, x0_img = bank
    s = make(kind, pred, spacing, karras)
    s.set_timesteps(steps)
    ts = s.timesteps
    start = 0
    if strength is not None:  # StableDiffusionImg2ImgPipeline.get_timesteps
        init_timestep = min(int(steps * strength), steps)
        start = max(steps - init_timestep, 0)
        ts = s.timesteps[start * s.order:]
        if hasattr(s, "set_begin_index"):
            s.set_begin_index(start * s.order)
        x = s.add_noise(x0_img.clone(), x_t.clone(), ts[:1])
    else:
        x = x_t * s.init_noise_sigma
    feed = NoiseFeed()
    mod_ea.randn_tensor = feed
    traj = [x.clone()]
    for j, t in enumerate(ts):
        i = start + j
        x_in = s.scale_model_input(x, t)
        mo = 0.1 * x_in + offsets[i]
        kw = {}
        if kind == "ddim":
            kw["eta"] = eta
            if eta > 0:
                kw["variance_noise"] = noise[i].clone()
        if kind == "euler_a":
            feed.row = noise[i]
        x = s.step(mo, t, x, **kw).prev_sample
        assert x.dtype == torch.float32
        traj.append(x.clone())
    init_sigma = float(s.init_noise_sigma)
    sig = s.sigmas.numpy().astype(np.float32) if kind in ("euler", "euler_a", "dpmpp_2m") else np.zeros(1, np.float32)
    return (s.timesteps.numpy().astype(np.float32), np.array([init_sigma], np.float32), sig,
            torch.stack(traj).numpy().astype(np.float32), start)


M32 = 0xFFFFFFFF


def philox4x32_10(c, k0, k1):
    c = list(c)
    for _ in range(10):
        p0 = 0xD2511F53 * c[0]
        p1 = 0xCD9E8D57 * c[2]
        c = [((p1 >> 32) ^ c[1] ^ k0) & M32, p1 & M32, ((p0 >> 32) ^ c[3] ^ k1) & M32, p0 & M32]
        k0 = (k0 + 0x9E3779B9) & M32
        k1 = (k1 + 0xBB67AE85) & M32
    return c


# Random123 known-answer test (kat_vectors: philox4x32 10 rounds, zero counter and key)
assert philox4x32_10([0, 0, 0, 0], 0, 0) == [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]
assert philox4x32_10([M32] * 4, M32, M32) == [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]
assert philox4x32_10([0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344], 0xA4093822, 0x299F31D0) == \
    [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1]


def i32(u):
    """uint32 -> the int32 with the same bits (GGUF params are signed)."""
    return u - (1 << 32) if u >= (1 << 31) else u


def philox_normals(seed, stream, sub, offset, n):
    """N(0,1) numbers offset..offset+n-1 of (seed, stream, sub), as a2a_philox_normal defines them."""
    import math
    out = []
    for e in range(offset, offset + n):
        blk = e >> 2
        c = philox4x32_10([blk & M32, blk >> 32, sub, stream], seed & M32, seed >> 32)
        q = (e & 3) // 2
        u1 = (c[2 * q] + 0.5) / 4294967296.0
        u2 = (c[2 * q + 1] + 0.5) / 4294967296.0
        r = math.sqrt(-2.0 * math.log(u1))
        out.append(r * (math.cos if (e & 1) == 0 else math.sin)(6.283185307179586476925 * u2))
    return np.array(out, np.float32)


def main():
    g = torch.Generator().manual_seed(1234)
    offsets = torch.randn(SMAX, N, generator=g, dtype=torch.float32)
    noise = torch.randn(SMAX, N, generator=g, dtype=torch.float32)
    x_t = torch.randn(N, generator=g, dtype=torch.float32)
    x0_img = (torch.rand(N, generator=g, dtype=torch.float32) * 2 - 1) * 1.5
    bank = (offsets, noise, x_t, x0_img)

    gw = GoldenWriter(OUT, generator="tools/ref/make_golden_schedulers.py",
                      compute=f"diffusers {diffusers.__version__} schedulers driven in float32 (as a float32 pipeline), fake denoiser 0.1*x_in + offsets[i]")
    gw.add_case("bank", "bank", inputs=[offsets, noise, x_t, x0_img], out=np.zeros(1, np.float32),
                tol_nmse=0.0, tol_max_abs=0.0)

    # alphas_cumprod for the beta configs (bit-exact expected)
    for name, bs, be, sched in [("acp_sd", "0.00085", "0.012", "scaled_linear"),
                                ("acp_linear", "0.0001", "0.02", "linear"),
                                ("acp_audioldm", "0.0015", "0.0195", "scaled_linear"),
                                ("acp_cos", "0.0001", "0.02", "squaredcos_cap_v2")]:
        s = DDIMScheduler(num_train_timesteps=1000, beta_start=float(bs), beta_end=float(be), beta_schedule=sched)
        gw.add_case(name, "alphas_cumprod", inputs=[], out=s.alphas_cumprod.numpy(),
                    params={"beta_start": bs, "beta_end": be, "schedule": sched}, tol_nmse=0.0, tol_max_abs=0.0)

    cases = []
    for steps in (10, 25, 50):
        for pred in ("eps", "v"):
            for kind, spacing in (("pndm", "leading"), ("ddim", "leading"), ("euler", "linspace"),
                                  ("euler_a", "linspace"), ("dpmpp_2m", "linspace")):
                cases.append(dict(kind=kind, pred=pred, spacing=spacing, steps=steps))
    cases += [
        dict(kind="pndm", pred="eps", spacing="linspace", steps=25),
        dict(kind="pndm", pred="eps", spacing="trailing", steps=25),
        dict(kind="ddim", pred="v", spacing="trailing", steps=25),
        dict(kind="ddim", pred="eps", spacing="linspace", steps=10),
        dict(kind="ddim", pred="eps", spacing="leading", steps=25, eta=1.0),
        dict(kind="ddim", pred="v", spacing="leading", steps=10, eta=0.5),
        dict(kind="euler", pred="eps", spacing="leading", steps=25),
        dict(kind="euler", pred="v", spacing="trailing", steps=10),
        dict(kind="euler", pred="eps", spacing="linspace", steps=25, karras=True),
        dict(kind="euler_a", pred="eps", spacing="leading", steps=25),
        dict(kind="euler_a", pred="v", spacing="trailing", steps=10),
        dict(kind="dpmpp_2m", pred="eps", spacing="linspace", steps=10, karras=True),
        dict(kind="dpmpp_2m", pred="eps", spacing="linspace", steps=25, karras=True),
        dict(kind="dpmpp_2m", pred="v", spacing="linspace", steps=25, karras=True),
        dict(kind="dpmpp_2m", pred="eps", spacing="linspace", steps=50, karras=True),
        dict(kind="dpmpp_2m", pred="eps", spacing="leading", steps=25),
        dict(kind="dpmpp_2m", pred="v", spacing="trailing", steps=25),
        # img2img (get_timesteps + add_noise)
        dict(kind="pndm", pred="eps", spacing="leading", steps=50, strength="0.75"),
        dict(kind="ddim", pred="eps", spacing="leading", steps=25, strength="0.6"),
        dict(kind="euler", pred="eps", spacing="linspace", steps=25, strength="0.5"),
        dict(kind="euler_a", pred="v", spacing="leading", steps=10, strength="0.3"),
        dict(kind="dpmpp_2m", pred="eps", spacing="linspace", steps=25, strength="0.8"),
        dict(kind="dpmpp_2m", pred="eps", spacing="linspace", steps=10, karras=True, strength="0.7"),
    ]
    for c in cases:
        eta = c.get("eta", 0.0)
        karras = c.get("karras", False)
        strength = c.get("strength")
        ts, init_sigma, sig, traj, start = run(c["kind"], c["pred"], c["spacing"], c["steps"], bank, eta=eta, karras=karras,
                                              strength=float(strength) if strength else None)
        name = f"{c['kind']}_{c['pred']}_{c['spacing']}_{c['steps']}"
        if eta:
            name += f"_eta{str(eta).replace('.', 'p')}"
        if karras:
            name += "_karras"
        if strength:
            name += f"_img2img{strength.replace('.', 'p')}"
        params = dict(kind=c["kind"], pred=c["pred"], spacing=c["spacing"], steps=c["steps"], eta=float(eta),
                      karras=int(karras), start=int(start))
        if strength:
            params["strength"] = strength
        # per-element tolerance: float32 rounding differences (a few ulps per step) carried along
        # the trajectory; scale by the trajectory's magnitude
        scale = float(np.abs(traj).max())
        gw.add_case(name, "run", inputs=[ts, init_sigma, sig], out=traj, params=params,
                    tol_nmse=1e-11, tol_max_abs=4e-6 * max(1.0, scale))

    # classifier-free guidance as the pipelines compute it
    u = torch.randn(N, generator=g, dtype=torch.float32)
    co = torch.randn(N, generator=g, dtype=torch.float32)
    gw.add_case("cfg", "cfg", inputs=[u, co], out=u + 7.5 * (co - u), params={"scale": 7.5}, tol_nmse=0.0, tol_max_abs=0.0)
    # default noise source: Philox4x32-10 (checked against the Random123 known answer) + Box-Muller
    seed, stream, sub, offset = 0x0123456789ABCDEF, 7, 3, 5
    ref = philox_normals(seed, stream, sub, offset, 37)
    gw.add_case("philox", "philox", inputs=[], out=ref, params={"seed_lo": i32(seed & M32), "seed_hi": i32(seed >> 32),
                                                              "stream": stream, "sub": sub, "offset": offset},
                tol_nmse=1e-14, tol_max_abs=1e-6)
    gw.write()
    print(f"wrote {OUT}: {len(gw.cases)} cases, {gw.nbytes()} bytes of tensors")


if __name__ == "__main__":
    main()
