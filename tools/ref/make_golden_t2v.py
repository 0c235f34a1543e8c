#!/usr/bin/env python3
"""Golden reference for the whole text-to-video pipeline (src/pipeline/t2v_pipeline.c): a tiny
diffusers TextToVideoSDPipeline (Zeroscope's classes: CLIPTextModel with gelu, UNet3DConditionModel,
AutoencoderKL decoding frame by frame, DDIM) saved with save_pretrained into tests/golden/t2v/tiny/
and run from fixed latents (`latents=`) with guidance and a negative prompt; the frames
(output_type "np": (x / 2 + 0.5).clamp(0, 1)) are the reference.
Run with the reference venv: .venv-ref/bin/python tools/ref/make_golden_t2v.py"""
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from golden import GoldenWriter  # noqa: E402
from diffusers import AutoencoderKL, DDIMScheduler, TextToVideoSDPipeline, UNet3DConditionModel  # noqa: E402
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
OUT = os.path.join(ROOT, "tests", "golden", "t2v")
TOK = os.path.join(ROOT, "tests", "golden", "clip_tok", "hf_small")
torch.manual_seed(0)
tok = CLIPTokenizer(os.path.join(TOK, "vocab.json"), os.path.join(TOK, "merges.txt"), model_max_length=77)
te = CLIPTextModel(CLIPTextConfig(vocab_size=len(tok), hidden_size=8, intermediate_size=16, num_hidden_layers=2,
                                  num_attention_heads=2, max_position_embeddings=77, hidden_act="gelu",
                                  eos_token_id=2, pad_token_id=1)).eval()
unet = UNet3DConditionModel(block_out_channels=(4, 8), layers_per_block=1, sample_size=8, in_channels=4,
                            out_channels=4, down_block_types=("CrossAttnDownBlock3D", "DownBlock3D"),
                            up_block_types=("UpBlock3D", "CrossAttnUpBlock3D"), cross_attention_dim=8,
                            attention_head_dim=4, norm_num_groups=2).eval()
vae = AutoencoderKL(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(8, 16),
                    down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2,
                    layers_per_block=1, norm_num_groups=4, sample_size=16).eval()
with torch.no_grad():
    for m in (te, unet, vae):
        for name, p in m.named_parameters():
            if "temp_convs" in name and ".conv4." in name:
                p.copy_(0.2 * torch.randn_like(p))  # zero-initialized upstream
            else:
                p.add_(torch.randn_like(p) * 0.05)
sched = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                      set_alpha_to_one=False, steps_offset=1)
pipe = TextToVideoSDPipeline(vae=vae, text_encoder=te, tokenizer=tok, unet=unet, scheduler=sched)
folder = os.path.join(OUT, "tiny")
shutil.rmtree(folder, ignore_errors=True)
pipe.save_pretrained(folder, safe_serialization=True)
pipe = TextToVideoSDPipeline.from_pretrained(folder)
gw = GoldenWriter(os.path.join(OUT, "ref.gguf"), generator="tools/ref/make_golden_t2v.py",
                  compute="diffusers TextToVideoSDPipeline, float32 CPU")
g = torch.Generator().manual_seed(5)
vf = 2 ** (len(vae.config.block_out_channels) - 1)
for name, steps, cfg, prompt, neg, frames, w, h in [("ddim_cfg", 3, 9.0, "a dog running", "blurry", 3, 16, 16),
                                                     ("ddim_nocfg", 2, 1.0, "waves", None, 2, 24, 16)]:
    lat = torch.randn(1, 4, frames, h // vf, w // vf, generator=g)
    with torch.no_grad():
        video = pipe(prompt, negative_prompt=neg, num_inference_steps=steps, guidance_scale=cfg, height=h, width=w,
                     num_frames=frames, latents=lat.clone(), output_type="np").frames[0]  # [F, h, w, 3]
    gw.add_case(name, "t2v", inputs=[lat[0]], out=np.ascontiguousarray(np.asarray(video).transpose(0, 3, 1, 2)),
                params={"prompt": prompt, "negative": neg or "", "steps": steps, "cfg": float(cfg), "frames": frames,
                        "width": w, "height": h}, tol_nmse=1e-8, tol_max_abs=2e-4)
gw.write()
print("wrote", OUT)
