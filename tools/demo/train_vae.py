#!/usr/bin/env python3
"""Demo bundle, generators stage 1: the AutoencoderKL shared by the image (SD-shaped) and video
(Zeroscope-shaped) generators. 3 levels: 64x64 image <-> 4x16x16 latent, 32x32 frame <-> 4x8x8.
Trained on image_train pixels (full 64x64) and video_train frames (32x32) with L1 + L2
reconstruction and a small KL; the latent scaling_factor (1 / std of the latents, like SD's
0.18215) is measured at the end and stored in the config.

  .venv-ref/bin/python tools/demo/train_vae.py build/demo-work [--steps-scale F]
Output: WORK/gen/vae/ (diffusers save_pretrained: config.json + diffusion_pytorch_model.safetensors),
WORK/gen/vae/curve.tsv, recon.png (eval reconstructions: originals over reconstructions)."""
import os
import shutil
import time

import numpy as np
import torch

import gen_common as gc

SEED = 11
STEPS = 2000
N_FRAMES, N_IMAGES = 12, 3        # per step: 32x32 video frames + 64x64 images
LR = 1e-3
KL_W = 1e-5
CFG = dict(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(32, 64, 64),
           down_block_types=("DownEncoderBlock2D",) * 3, up_block_types=("UpDecoderBlock2D",) * 3,
           layers_per_block=1, norm_num_groups=16, sample_size=64)


def to_t(x):  # uint8 [..., H, W, 3] -> float [-1, 1] [N, 3, H, W]
    return torch.from_numpy(x).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def save_recon_grid(originals, recon, path):
    """PNG of 8 originals (uint8 [N, H, W, 3]) over their reconstructions (float [-1, 1] [N, 3, H, W])."""
    from PIL import Image
    top = np.concatenate(list(originals[:8]), axis=1)
    bot = ((recon[:8].clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
    Image.fromarray(np.concatenate([top, np.concatenate(list(bot), axis=1)], axis=0)).save(path)


def main():
    a = gc.parse_args(__doc__)
    stage = os.path.join(a.work, "gen", "vae")
    if os.path.exists(os.path.join(stage, "config.json")):
        print("vae: already done:", stage)
        return
    gc.setup(SEED)
    from diffusers import AutoencoderKL
    imgs, _ = gc.load_npz(a.work, "image_train")
    vids, _ = gc.load_npz(a.work, "video_train")
    frames = vids.reshape(-1, *vids.shape[2:])
    vae = AutoencoderKL(**CFG)
    opt = torch.optim.AdamW(vae.parameters(), lr=LR, weight_decay=0.0)
    total = max(1, int(STEPS * a.steps_scale))
    run = gc.Run(stage, "vae", total)
    objs = {"model": vae, "opt": opt}
    start = run.resume(objs)
    rng = np.random.default_rng(SEED)
    for _ in range(start):  # keep the batch sequence identical across resumes
        rng.integers(0, len(frames), N_FRAMES), rng.integers(0, len(imgs), N_IMAGES)
    vae.train()
    for step in range(start, total):
        fi, ii = rng.integers(0, len(frames), N_FRAMES), rng.integers(0, len(imgs), N_IMAGES)
        lr = gc.cosine_lr(opt, LR, step, total, warmup=50)
        loss_rec, loss_kl = 0.0, 0.0
        for x in (to_t(frames[fi]), to_t(imgs[ii])):
            post = vae.encode(x).latent_dist
            y = vae.decode(post.sample()).sample
            w = x.shape[0] / (N_FRAMES + N_IMAGES)
            loss_rec = loss_rec + w * ((y - x).abs().mean() + (y - x).pow(2).mean())
            loss_kl = loss_kl + w * post.kl().mean() / (4 * x.shape[2] * x.shape[3] // 16)
        loss = loss_rec + KL_W * loss_kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        run.log(step + 1, {"loss": loss.item(), "rec": loss_rec.item(), "kl": loss_kl.item(), "lr": lr}, objs)
    run.save(objs)

    # scaling factor from the latent means of held-out data, eval reconstruction error
    vae.eval()
    ie, _ = gc.load_npz(a.work, "image_eval")
    ve, _ = gc.load_npz(a.work, "video_eval")
    fe = ve.reshape(-1, *ve.shape[2:])[::8]
    with torch.no_grad():
        zi = vae.encode(to_t(ie[:128])).latent_dist
        zf = vae.encode(to_t(fe[:128])).latent_dist
        lat = torch.cat([zi.sample().flatten(), zf.sample().flatten()])
        sf = float(1.0 / lat.std())
        ri = vae.decode(zi.mean).sample
        rf = vae.decode(zf.mean).sample
        l1i = (ri - to_t(ie[:128])).abs().mean().item() * 127.5
        l1f = (rf - to_t(fe[:128])).abs().mean().item() * 127.5
    print(f"vae: eval L1 (0..255 scale) images {l1i:.2f} frames {l1f:.2f}; latent std {1 / sf:.4f} "
          f"mean {lat.mean().item():.4f} -> scaling_factor {sf:.5f}; cpu {run.cpu_s():.0f}s", flush=True)
    vae.register_to_config(scaling_factor=sf)
    save_recon_grid(ie, ri, os.path.join(stage, "recon.png"))
    with open(os.path.join(stage, "summary.txt"), "w") as f:
        f.write(f"eval_l1_images\t{l1i:.3f}\neval_l1_frames\t{l1f:.3f}\nscaling_factor\t{sf:.6f}\n"
                f"cpu_s\t{run.cpu_s():.1f}\nsteps\t{total}\n")
    tmp = stage + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    vae.save_pretrained(tmp, safe_serialization=True)
    gc.publish(tmp, stage, "config.json")
    print("vae: wrote", stage, time.strftime("%H:%M:%S"))


if __name__ == "__main__":
    main()
