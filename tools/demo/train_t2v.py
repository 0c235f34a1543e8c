#!/usr/bin/env python3
"""Demo bundle, generators stage 3: the Zeroscope-shaped text-to-video generator.
A CLIPTextModel (same small tokenizer as train_sd.py, gelu like Zeroscope's) trained jointly with
a UNet3DConditionModel on the DDPM v-prediction loss over 8 frames of 4x8x8 latents of the shared
WORK/gen/vae (frames encoded one by one, scaled by its scaling_factor). Captions:
world.caption(video item), e.g. "a red circle moving left", and ~10% "" for classifier-free
guidance. The conditioning is CLIPTextModel(...).last_hidden_state [77, HIDDEN].

  .venv-ref/bin/python tools/demo/train_t2v.py build/demo-work [--steps-scale F]
Output: WORK/gen/t2v/ -- a diffusers TextToVideoSDPipeline (DDIM with SD betas); convert with
`any2any convert --diffusers WORK/gen/t2v -o t2v.gguf --type f16`; also curve.tsv, samples.png
(diffusers samples of held-out prompts, one row of 8 frames each), latents.pt (cache)."""
import copy
import os
import shutil
import time

import numpy as np
import torch

import gen_common as gc
from gen_common import world
from train_sd import EMA, SCHED, ema_update, encode_latents

SEED = 37
STEPS = 920
N_ENC = 4000                    # train videos encoded (the first N_ENC)
BATCH = 16
LR = 1.5e-3
P_EMPTY = 0.1
HIDDEN, LAYERS, HEADS = 64, 2, 4
UNET = dict(sample_size=8, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(48, 96),
            norm_num_groups=16, down_block_types=("CrossAttnDownBlock3D", "DownBlock3D"),
            up_block_types=("UpBlock3D", "CrossAttnUpBlock3D"), cross_attention_dim=HIDDEN,
            attention_head_dim=8)


def main():
    a = gc.parse_args(__doc__)
    stage = os.path.join(a.work, "gen", "t2v")
    if os.path.exists(os.path.join(stage, "model_index.json")):
        print("t2v: already done:", stage)
        return
    os.makedirs(stage, exist_ok=True)
    gc.setup(SEED)
    from diffusers import AutoencoderKL, DDIMScheduler, TextToVideoSDPipeline, UNet3DConditionModel
    from transformers import CLIPTextModel

    vae = AutoencoderKL.from_pretrained(os.path.join(a.work, "gen", "vae")).eval()
    sf = vae.config.scaling_factor
    vids, its = gc.load_npz(a.work, "video_train")
    vids, its = vids[:N_ENC], its[:N_ENC]
    N, T = vids.shape[:2]
    cache = os.path.join(stage, "latents.pt")
    t_enc = time.process_time()
    if os.path.exists(cache):
        mean, std = torch.load(cache)
    else:
        mean, std = encode_latents(vae, vids.reshape(N * T, *vids.shape[2:]), bs=128)
        # [N*T, 4, 8, 8] -> [N, 4, T, 8, 8]
        mean, std = (x.view(N, T, *x.shape[1:]).transpose(1, 2).contiguous() for x in (mean, std))
        torch.save((mean, std), cache + ".tmp")
        os.replace(cache + ".tmp", cache)
    enc_cpu = time.process_time() - t_enc
    print(f"t2v: latents {tuple(mean.shape)} (encode cpu {enc_cpu:.0f}s), scaling_factor {sf:.4f}", flush=True)
    caps_all = [world.caption(it) for it in its]

    tok = gc.tokenizer()
    toks = gc.TokenCache(tok)
    te = CLIPTextModel(gc.clip_text_config(tok, HIDDEN, LAYERS, HEADS, act="gelu"))
    unet = UNet3DConditionModel(**UNET)
    ema_te, ema_unet = copy.deepcopy(te), copy.deepcopy(unet)
    params = list(te.parameters()) + list(unet.parameters())
    print(f"t2v: text encoder {sum(p.numel() for p in te.parameters()) / 1e6:.2f}M, unet "
          f"{sum(p.numel() for p in unet.parameters()) / 1e6:.2f}M params", flush=True)
    opt = torch.optim.AdamW(params, lr=LR, weight_decay=0.01)
    from diffusers import DDPMScheduler
    acp = DDPMScheduler(**{k: v for k, v in SCHED.items() if k not in ("set_alpha_to_one", "steps_offset")}
                        ).alphas_cumprod
    total = max(1, int(STEPS * a.steps_scale))
    run = gc.Run(stage, "t2v", total)
    objs = {"te": te, "unet": unet, "ema_te": ema_te, "ema_unet": ema_unet, "opt": opt}
    start = run.resume(objs)
    if start == 0:
        run.cpu_before = enc_cpu
    rng = np.random.default_rng(SEED + start)
    gen = torch.Generator().manual_seed(SEED + start)
    te.train(), unet.train()
    for step in range(start, total):
        idx = rng.integers(0, N, BATCH)
        u = rng.random(BATCH)
        caps = ["" if r < P_EMPTY else caps_all[i] for r, i in zip(u, idx)]
        z0 = (mean[idx].float() + std[idx].float() * torch.randn(mean[idx].shape, generator=gen)) * sf
        lr = gc.cosine_lr(opt, LR, step, total, warmup=50)
        loss = gc.diffusion_step(te, unet, toks, caps, z0, gen, acp, opt, params, SCHED["prediction_type"])
        d = min(EMA, (1 + step) / (10 + step))
        ema_update(ema_te, te, d)
        ema_update(ema_unet, unet, d)
        run.log(step + 1, {"loss": loss.item(), "lr": lr}, objs)
    run.save(objs)
    cpu_train = run.cpu_s()

    pipe = TextToVideoSDPipeline(vae=vae, text_encoder=ema_te.eval(), tokenizer=tok, unet=ema_unet.eval(),
                                 scheduler=DDIMScheduler(**SCHED))
    tmp = stage + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    pipe.save_pretrained(tmp, safe_serialization=True)
    _, ev = gc.load_npz(a.work, "video_eval")
    prompts = [world.caption(it) for it in ev[:4]]
    rows = []
    with torch.no_grad():
        for i, p in enumerate(prompts):
            fr = pipe(p, num_inference_steps=20, guidance_scale=5.0, height=32, width=32, num_frames=T,
                      output_type="np", generator=torch.Generator().manual_seed(i)).frames[0]
            rows.append(np.concatenate(list(np.asarray(fr)), axis=1))
    from PIL import Image
    Image.fromarray((np.concatenate(rows, axis=0) * 255).round().astype(np.uint8)).save(
        os.path.join(stage, "samples.png"))
    losses = [float(ln.split()[1]) for ln in open(run.curve).readlines()[1:]]
    with open(os.path.join(stage, "summary.txt"), "w") as f:
        f.write(f"text_hidden\t{HIDDEN}\nsteps\t{total}\ncpu_s_train\t{cpu_train:.1f}\n"
                f"final_loss_avg100\t{np.mean(losses[-100:]):.5f}\nsamples_prompts\t" + " | ".join(prompts) + "\n")
    gc.publish(tmp, stage, "model_index.json")
    print(f"t2v: wrote {stage}; train cpu {cpu_train:.0f}s", time.strftime("%H:%M:%S"))


if __name__ == "__main__":
    main()
