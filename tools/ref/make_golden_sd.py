#!/usr/bin/env python3
"""Golden reference for the whole Stable Diffusion pipeline (src/pipeline/sd_pipeline.c): a tiny
diffusers StableDiffusionPipeline -- CLIPTextModel + CLIPTokenizer (the small CLIP vocabulary of
tests/golden/clip_tok/hf_small), UNet2DConditionModel, AutoencoderKL, PNDM / DDIM / Euler
schedulers with SD 1.5's scheduler config -- saved with save_pretrained into tests/golden/sd/tiny/
(the C test converts that folder with a2a_diffusers_convert, as `any2any convert --diffusers`
does), and run from fixed initial latents (passed as `latents=`, so no RNG is involved) with
classifier-free guidance and a negative prompt; the output image before postprocessing
(output_type="pt" with do_denormalize off is not exposed, so we take output_type="np", i.e.
(x / 2 + 0.5).clamp(0, 1)) is the reference.
Run with the reference venv: .venv-ref/bin/python tools/ref/make_golden_sd.py"""
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from golden import GoldenWriter  # noqa: E402
from diffusers import (AutoencoderKL, DDIMScheduler, EulerDiscreteScheduler, PNDMScheduler,  # noqa: E402
                       StableDiffusionPipeline, UNet2DConditionModel)
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
OUT = os.path.join(ROOT, "tests", "golden", "sd")
TOK = os.path.join(ROOT, "tests", "golden", "clip_tok", "hf_small")
torch.manual_seed(0)

tok = CLIPTokenizer(os.path.join(TOK, "vocab.json"), os.path.join(TOK, "merges.txt"), model_max_length=77)
te = CLIPTextModel(CLIPTextConfig(vocab_size=len(tok), hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                                  num_attention_heads=2, max_position_embeddings=77, hidden_act="quick_gelu",
                                  bos_token_id=49406 if len(tok) > 49406 else len(tok) - 2,
                                  eos_token_id=2, pad_token_id=1)).eval()
unet = UNet2DConditionModel(sample_size=8, in_channels=4, out_channels=4, layers_per_block=1,
                            block_out_channels=(16, 32), norm_num_groups=8,
                            down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
                            up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
                            cross_attention_dim=16, attention_head_dim=4).eval()
vae = AutoencoderKL(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(8, 16),
                    down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2,
                    layers_per_block=1, norm_num_groups=4, sample_size=16).eval()
# the random init leaves many weights at zero/one: perturb everything so every path matters
with torch.no_grad():
    for m in (te, unet, vae):
        for p in m.parameters():
            p.add_(torch.randn_like(p) * 0.05)
sched_cfg = dict(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000,
                 steps_offset=1, set_alpha_to_one=False, skip_prk_steps=True)
pipe = StableDiffusionPipeline(vae=vae, text_encoder=te, tokenizer=tok, unet=unet,
                               scheduler=PNDMScheduler(**sched_cfg), safety_checker=None, feature_extractor=None,
                               requires_safety_checker=False)
folder = os.path.join(OUT, "tiny")
shutil.rmtree(folder, ignore_errors=True)
pipe.save_pretrained(folder, safe_serialization=True)
# run the pipeline as users load it: from the saved folder (scheduler switches then see the
# saved scheduler_config.json, e.g. its explicit timestep_spacing, exactly as our converter does)
pipe = StableDiffusionPipeline.from_pretrained(folder, safety_checker=None, requires_safety_checker=False)

gw = GoldenWriter(os.path.join(OUT, "ref.gguf"), generator="tools/ref/make_golden_sd.py",
                  compute="diffusers StableDiffusionPipeline, float32 CPU")
g = torch.Generator().manual_seed(1)
cases = [
    ("pndm_cfg", PNDMScheduler, 4, 7.5, "a red square on a blue sky", "blurry", 16, 16),
    ("ddim_cfg", DDIMScheduler, 3, 5.0, "two cats", None, 16, 24),
    ("euler_nocfg", EulerDiscreteScheduler, 3, 1.0, "a tree", None, 24, 16),
    ("euler_cfg", EulerDiscreteScheduler, 3, 3.0, "a tree", "a bush", 16, 16),
    ("pndm_nocfg", PNDMScheduler, 3, 1.0, "a tree", None, 16, 16),
]
kinds = {PNDMScheduler: 0, DDIMScheduler: 1, EulerDiscreteScheduler: 2}
for name, cls, steps, cfg, prompt, neg, w, h in cases:
    # SD 1.5's scheduler_config.json has clip_sample false; PNDM does not keep the key, so give
    # it to DDIM explicitly (our converter's default for an absent key is false as well)
    extra = {"clip_sample": False} if cls is DDIMScheduler else {}
    pipe.scheduler = cls.from_config(pipe.scheduler.config, **extra)
    f = 2 ** (len(vae.config.block_out_channels) - 1)
    lat = torch.randn(1, 4, h // f, w // f, generator=g)
    with torch.no_grad():
        img = pipe(prompt, negative_prompt=neg, num_inference_steps=steps, guidance_scale=cfg, height=h, width=w,
                   latents=lat.clone(), output_type="np").images[0]  # [h, w, 3] in [0, 1]
    gw.add_case(name, "sd_txt2img", inputs=[lat[0]], out=np.ascontiguousarray(img.transpose(2, 0, 1)),
                params={"prompt": prompt, "negative": neg or "", "steps": steps, "cfg": float(cfg), "width": w,
                        "height": h, "sched": kinds[cls]},
                tol_nmse=1e-8, tol_max_abs=2e-4)
gw.write()
print("wrote", OUT)
