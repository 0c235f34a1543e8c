#!/usr/bin/env python3
"""Write a Stable Diffusion 1.5-shaped StableDiffusionPipeline with RANDOM weights (timing does
not depend on the values) into bench/models/sd15_random/ with save_pretrained, fp16 weights
(~2 GB): CLIPTextModel (12 layers, 768 wide, 49408 tokens), UNet2DConditionModel (SD 1.5's
config: 320/640/1280/1280, 2 layers per block, 8 heads, cross-attention 768), AutoencoderKL
(128/256/512/512, 2 layers per block, 4 latent channels), PNDM with SD 1.5's scheduler config,
and a CLIPTokenizer built from the full CLIP BPE list (tests/golden/clip_tok/
bpe_simple_vocab_16e6.txt.gz, the list OpenAI's CLIP ships) so the folder is a complete
pipeline. File names are the plain ones (diffusion_pytorch_model.safetensors, model.safetensors)
holding fp16 tensors: that is what both `any2any convert --diffusers` and stable-diffusion.cpp's
diffusers-folder loader read.
Usage: .venv-ref/bin/python bench/diffusion/make_sd15_random.py [OUT_DIR]"""
import gzip
import json
import os
import sys
import tempfile

import torch
from diffusers import AutoencoderKL, PNDMScheduler, StableDiffusionPipeline, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "bench", "models", "sd15_random")
BPE = os.path.join(ROOT, "tests", "golden", "clip_tok", "bpe_simple_vocab_16e6.txt.gz")


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def clip_tokenizer(tmp):
    # the vocabulary of openai/clip-vit-large-patch14 (SD 1.5's tokenizer), as CLIP's SimpleTokenizer builds it
    merges = gzip.open(BPE).read().decode("utf-8").split("\n")[1:49152 - 256 - 2 + 1]
    merges = [tuple(m.split()) for m in merges]
    vocab = bytes_to_unicode()
    vocab = vocab + [v + "</w>" for v in vocab] + ["".join(m) for m in merges] + ["<|startoftext|>", "<|endoftext|>"]
    assert len(vocab) == 49408
    with open(os.path.join(tmp, "vocab.json"), "w") as f:
        json.dump({v: i for i, v in enumerate(vocab)}, f)
    with open(os.path.join(tmp, "merges.txt"), "w") as f:
        f.write("#version: 0.2\n" + "\n".join(" ".join(m) for m in merges) + "\n")
    return CLIPTokenizer(os.path.join(tmp, "vocab.json"), os.path.join(tmp, "merges.txt"), model_max_length=77,
                         pad_token="<|endoftext|>")


def main():
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        tok = clip_tokenizer(tmp)
    te = CLIPTextModel(CLIPTextConfig(vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                                      num_attention_heads=12, max_position_embeddings=77, hidden_act="quick_gelu",
                                      projection_dim=768, bos_token_id=49406, eos_token_id=49407, pad_token_id=1))
    unet = UNet2DConditionModel(
        sample_size=64, in_channels=4, out_channels=4, layers_per_block=2, block_out_channels=(320, 640, 1280, 1280),
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=768, attention_head_dim=8, norm_num_groups=32)
    vae = AutoencoderKL(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(128, 256, 512, 512),
                        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
                        layers_per_block=2, norm_num_groups=32, sample_size=512)
    sched = PNDMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000,
                          steps_offset=1, set_alpha_to_one=False, skip_prk_steps=True)
    pipe = StableDiffusionPipeline(vae=vae, text_encoder=te, tokenizer=tok, unet=unet, scheduler=sched,
                                   safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipe.to(torch.float16)
    pipe.save_pretrained(OUT, safe_serialization=True)
    n = {k: sum(p.numel() for p in m.parameters()) for k, m in (("text_encoder", te), ("unet", unet), ("vae", vae))}
    print(json.dumps({"out": OUT, "params": n}))


if __name__ == "__main__":
    main()
