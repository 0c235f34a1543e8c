#!/usr/bin/env python3
"""Demo bundle, generators stage 1b: fine-tune the shared VAE's decoder (the encoder frozen), as
Stability AI did for SD's released VAE (the "ft-MSE" decoder): the latent space the UNets are
trained in stays exactly the same, only the pixels decoded from it improve.

Why: the first VAE decoded hues fragilely -- a small latent error turned green into blue or
purple into pink, most on the gray background -- and the diffusion models' latents are never
exact.  The decoder is trained on posterior samples plus extra Gaussian latent noise (up to
NOISE x the latent std), so that nearby latents decode to the same colour; L1 + L2 as before.

  .venv-ref/bin/python tools/demo/train_vae_decoder.py build/demo-work [--steps-scale F]
Reads and rewrites WORK/gen/vae (weights + recon_ft.png + decoder_ft.txt, the "done" marker).
Diffusers pipelines that were already saved with the previous decoder (WORK/gen/sd/vae,
WORK/gen/t2v/vae) get the new one, and their stale GGUF conversions are removed."""
import os
import shutil
import time

import numpy as np
import torch

import gen_common as gc
from train_vae import N_FRAMES, save_recon_grid, to_t

SEED = 12
STEPS = 1500
N_IMAGES = 8
LR = 3e-4
NOISE = 0.25


def main():
    a = gc.parse_args(__doc__)
    vae_dir = os.path.join(a.work, "gen", "vae")
    marker = os.path.join(vae_dir, "decoder_ft.txt")
    if not os.path.exists(os.path.join(vae_dir, "config.json")):
        raise SystemExit(f"train_vae_decoder: {vae_dir} is not trained yet (run train_vae.py)")
    if os.path.exists(marker):
        print("vae decoder fine-tune: already done:", marker)
        return
    gc.setup(SEED)
    from diffusers import AutoencoderKL
    vae = AutoencoderKL.from_pretrained(vae_dir)
    sf = vae.config.scaling_factor
    imgs, _ = gc.load_npz(a.work, "image_train")
    vids, _ = gc.load_npz(a.work, "video_train")
    frames = vids.reshape(-1, *vids.shape[2:])
    for p in vae.parameters():
        p.requires_grad_(False)
    train = list(vae.decoder.parameters()) + list(vae.post_quant_conv.parameters())
    for p in train:
        p.requires_grad_(True)
    opt = torch.optim.AdamW(train, lr=LR, weight_decay=0.0)
    stage = os.path.join(a.work, "gen", "vae_ft")
    os.makedirs(stage, exist_ok=True)
    total = max(1, int(STEPS * a.steps_scale))
    run = gc.Run(stage, "vae-decoder", total)
    objs = {"decoder": vae.decoder, "post_quant_conv": vae.post_quant_conv, "opt": opt}
    start = run.resume(objs)
    rng = np.random.default_rng(SEED)
    gen = torch.Generator().manual_seed(SEED)
    for _ in range(start):  # keep the batch sequence identical across resumes
        rng.integers(0, len(frames), N_FRAMES), rng.integers(0, len(imgs), N_IMAGES)
    vae.eval()  # no dropout / norm statistics to track; gradients still flow to the decoder
    for step in range(start, total):
        fi, ii = rng.integers(0, len(frames), N_FRAMES), rng.integers(0, len(imgs), N_IMAGES)
        lr = gc.cosine_lr(opt, LR, step, total, warmup=50)
        loss = 0.0
        for x in (to_t(frames[fi]), to_t(imgs[ii])):
            with torch.no_grad():
                z = vae.encode(x).latent_dist.sample(generator=gen)
                amp = NOISE / sf * torch.rand(x.shape[0], 1, 1, 1, generator=gen)
                z = z + amp * torch.randn(z.shape, generator=gen)
            y = vae.decode(z).sample
            w = x.shape[0] / (N_FRAMES + N_IMAGES)
            loss = loss + w * ((y - x).abs().mean() + (y - x).pow(2).mean())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(train, 1.0)
        opt.step()
        run.log(step + 1, {"rec": loss.item(), "lr": lr}, objs)
    run.save(objs)

    ie, _ = gc.load_npz(a.work, "image_eval")
    ve, _ = gc.load_npz(a.work, "video_eval")
    fe = ve.reshape(-1, *ve.shape[2:])[::8]
    with torch.no_grad():
        zi = vae.encode(to_t(ie[:128])).latent_dist.mean
        zf = vae.encode(to_t(fe[:128])).latent_dist.mean
        ri = vae.decode(zi).sample
        l1i = (ri - to_t(ie[:128])).abs().mean().item() * 127.5
        l1f = (vae.decode(zf).sample - to_t(fe[:128])).abs().mean().item() * 127.5
        zn = zi + NOISE / sf * torch.randn(zi.shape, generator=torch.Generator().manual_seed(0))
        l1n = (vae.decode(zn).sample - to_t(ie[:128])).abs().mean().item() * 127.5
    print(f"vae decoder: eval L1 (0..255) images {l1i:.2f} frames {l1f:.2f}, images from noised latents "
          f"{l1n:.2f}; cpu {run.cpu_s():.0f}s", flush=True)
    save_recon_grid(ie, ri, os.path.join(stage, "recon_ft.png"))

    tmp = vae_dir + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    vae.save_pretrained(tmp, safe_serialization=True)
    for name in os.listdir(tmp):
        os.replace(os.path.join(tmp, name), os.path.join(vae_dir, name))
    shutil.rmtree(tmp)
    # pipelines saved before this step carry a copy of the old decoder: refresh them
    for pipe in ("sd", "t2v"):
        pdir = os.path.join(a.work, "gen", pipe)
        if os.path.exists(os.path.join(pdir, "model_index.json")):
            shutil.rmtree(os.path.join(pdir, "vae"))
            shutil.copytree(vae_dir, os.path.join(pdir, "vae"),
                            ignore=shutil.ignore_patterns("*.png", "*.tsv", "*.pt", "*.txt"))
            gguf = os.path.join(a.work, "gen", pipe + ".gguf")
            if os.path.exists(gguf):
                os.remove(gguf)
            print(f"vae decoder: refreshed {pdir}/vae", flush=True)
    with open(marker, "w") as f:
        f.write(f"steps\t{total}\nnoise\t{NOISE}\neval_l1_images\t{l1i:.3f}\neval_l1_frames\t{l1f:.3f}\n"
                f"eval_l1_images_noised\t{l1n:.3f}\ncpu_s\t{run.cpu_s():.1f}\n")
    print("vae decoder: wrote", vae_dir, time.strftime("%H:%M:%S"))


if __name__ == "__main__":
    main()
