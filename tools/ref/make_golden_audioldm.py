#!/usr/bin/env python3
"""Golden reference for the whole AudioLDM pipeline (src/pipeline/audioldm_pipeline.c): a tiny
diffusers AudioLDMPipeline (the component shapes of diffusers' own AudioLDM test dummies, made
smaller) -- ClapTextModelWithProjection + the tiny RoBERTa tokenizer of tests/golden/clap_text,
UNet2DConditionModel with the simple_projection class embedding (concatenated), a 1-channel
AutoencoderKL, SpeechT5HifiGan, DDIM -- saved with save_pretrained into tests/golden/audioldm/tiny/
and run from fixed latents (`latents=`) with guidance and a negative prompt; the waveform is the
reference. Run with the reference venv: .venv-ref/bin/python tools/ref/make_golden_audioldm.py"""
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from golden import GoldenWriter  # noqa: E402
from diffusers import AudioLDMPipeline, AutoencoderKL, DDIMScheduler, UNet2DConditionModel  # noqa: E402
from transformers import (ClapTextConfig, ClapTextModelWithProjection, RobertaTokenizer,  # noqa: E402
                          SpeechT5HifiGan, SpeechT5HifiGanConfig)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
OUT = os.path.join(ROOT, "tests", "golden", "audioldm")
torch.manual_seed(0)
tok = RobertaTokenizer.from_pretrained(os.path.join(ROOT, "tests", "golden", "clap_text", "tokenizer"), model_max_length=77)
te = ClapTextModelWithProjection(ClapTextConfig(bos_token_id=0, eos_token_id=2, hidden_size=16, intermediate_size=24,
                                                layer_norm_eps=1e-5, num_attention_heads=2, num_hidden_layers=2,
                                                pad_token_id=1, vocab_size=len(tok), projection_dim=16,
                                                max_position_embeddings=80)).eval()
unet = UNet2DConditionModel(block_out_channels=(16, 32), layers_per_block=1, sample_size=8, in_channels=4,
                            out_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=(16, 32),
                            norm_num_groups=8, attention_head_dim=4, class_embed_type="simple_projection",
                            projection_class_embeddings_input_dim=16, class_embeddings_concat=True).eval()
vae = AutoencoderKL(block_out_channels=(8, 16), in_channels=1, out_channels=1, latent_channels=4,
                    down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2,
                    layers_per_block=1, norm_num_groups=4).eval()
voc = SpeechT5HifiGan(SpeechT5HifiGanConfig(model_in_dim=8, sampling_rate=16000, upsample_initial_channel=16,
                                            upsample_rates=[2, 2], upsample_kernel_sizes=[4, 4],
                                            resblock_kernel_sizes=[3, 5], resblock_dilation_sizes=[[1, 3], [1, 3]],
                                            normalize_before=False)).eval()
with torch.no_grad():
    for m in (te, unet, vae, voc):
        for p in m.parameters():
            p.add_(torch.randn_like(p) * 0.05)
sched = DDIMScheduler(beta_start=0.0015, beta_end=0.0195, beta_schedule="scaled_linear", clip_sample=False,
                      set_alpha_to_one=False, steps_offset=1)
pipe = AudioLDMPipeline(vae=vae, text_encoder=te, tokenizer=tok, unet=unet, vocoder=voc, scheduler=sched)
folder = os.path.join(OUT, "tiny")
shutil.rmtree(folder, ignore_errors=True)
pipe.save_pretrained(folder, safe_serialization=True)
pipe = AudioLDMPipeline.from_pretrained(folder)
gw = GoldenWriter(os.path.join(OUT, "ref.gguf"), generator="tools/ref/make_golden_audioldm.py",
                  compute="diffusers AudioLDMPipeline, float32 CPU")
g = torch.Generator().manual_seed(3)
vf = 2 ** (len(vae.config.block_out_channels) - 1)
hop = float(np.prod(voc.config.upsample_rates)) / voc.config.sampling_rate
for name, steps, cfg, prompt, neg, secs in [("ddim_cfg", 4, 2.5, "a dog barking", "noise", 0.0101),
                                             ("ddim_nocfg", 3, 1.0, "rain", None, 0.006)]:
    height = int(secs / hop)
    if height % vf:
        height = int(np.ceil(height / vf)) * vf
    lat = torch.randn(1, 4, height // vf, voc.config.model_in_dim // vf, generator=g)
    with torch.no_grad():
        audio = pipe(prompt, negative_prompt=neg, num_inference_steps=steps, guidance_scale=cfg,
                     audio_length_in_s=secs, latents=lat.clone(), output_type="np").audios[0]
    gw.add_case(name, "audioldm", inputs=[lat[0]], out=audio,
                params={"prompt": prompt, "negative": neg or "", "steps": steps, "cfg": float(cfg), "seconds": secs},
                tol_nmse=1e-8, tol_max_abs=1e-4)
gw.write()
print("wrote", OUT)
