#!/usr/bin/env python3
"""Golden references for diffusers' UNet3DConditionModel (src/models/diffusion/unet3d.c), the
denoiser of ModelScope text-to-video / Zeroscope v2.

Two tiny models (random weights, fixed seeds) built from the upstream diffusers class and saved
with save_pretrained, so the folders hold exactly the tensor names and config.json keys of the
published checkpoints (zeroscope_v2_576w/unet/):
  tests/golden/unet3d/dummy/  diffusers' own test config (tests/pipelines/text_to_video_synthesis
                              get_dummy_components): block_out_channels (4, 8), layers_per_block 1,
                              down (CrossAttnDownBlock3D, DownBlock3D), up (UpBlock3D,
                              CrossAttnUpBlock3D), cross_attention_dim 4, attention_head_dim 4
                              (legacy naming: 4 HEADS per block), norm_num_groups 2; transformer_in
                              has 8 heads x 4 = 32 wide inner dim over 4 channels
  tests/golden/unet3d/zs/     Zeroscope-shaped: three blocks (8, 16, 16), layers_per_block 2,
                              down (CrossAttn, CrossAttn, Down), up (Up, CrossAttn, CrossAttn),
                              cross_attention_dim 12, attention_head_dim 4, norm_num_groups 4
  Every parameter is perturbed after construction (upstream zero-initializes the last conv of
  every TemporalConvLayer; real checkpoints have trained values there), and the weights are
  rounded to F16 and saved as F16 safetensors; the references run in float32 on the F16-rounded
  values, so a lossless conversion (F16 or F32 targets) must match to float32 rounding.
  tests/golden/unet3d/ref.gguf  cases <model>_<shape>: in0 latents torch [N, 4, F, H, W] (ggml
                              [W, H, F, C, N]), in1 timesteps [N], in2 context [N, L, D] (ggml
                              [D, L, N]) -> out noise prediction [N, 4, F, H, W]. Odd latent sides
                              take diffusers' forward_upsample_size path.
Run with the reference venv: .venv-ref/bin/python tools/ref/make_golden_unet3d.py
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from golden import GoldenWriter  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "golden", "unet3d")


def build(seed, **cfg):
    from diffusers import UNet3DConditionModel

    torch.manual_seed(seed)
    unet = UNet3DConditionModel(**cfg).eval()
    with torch.no_grad():
        for name, p in unet.named_parameters():
            if ("norm" in name or ".conv1.0." in name or ".conv2.0." in name or ".conv3.0." in name
                    or ".conv4.0." in name) and name.endswith("weight") and p.dim() == 1:
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))
            elif "temp_convs" in name and ".conv4." in name:
                p.copy_(0.2 * torch.randn_like(p))  # zero-initialized upstream
            else:
                p.add_(0.02 * torch.randn_like(p))
        for p in unet.parameters():
            p.copy_(p.half().float())
    return unet


def save(unet, name):
    path = os.path.join(OUT, name)
    unet = unet.to(torch.float16)
    unet.save_pretrained(path, safe_serialization=True)
    unet.to(torch.float32)


def cases(gw, unet, name, shapes, ctx_len, seed=7):
    g = torch.Generator().manual_seed(seed)
    cin = unet.config.in_channels
    cad = unet.config.cross_attention_dim
    for shp in shapes:
        n, f, h, w = shp
        x = torch.randn((n, cin, f, h, w), generator=g)
        t = torch.tensor([999.0, 1.0, 500.0, 37.0][:n])
        ctx = torch.randn((n, ctx_len, cad), generator=g)
        with torch.no_grad():
            y = unet(x, t, encoder_hidden_states=ctx).sample
        tag = "%dx%dx%dx%d" % (n, f, h, w)
        gw.add_case(f"{name}_{tag}", "unet3d", inputs=[x.numpy(), t.numpy(), ctx.numpy()], out=y.numpy(),
                    params={}, tol_nmse=1e-9, tol_max_abs=1e-3)


if __name__ == "__main__":
    import diffusers

    os.makedirs(OUT, exist_ok=True)
    dummy = build(1234, block_out_channels=(4, 8), layers_per_block=1, sample_size=32, in_channels=4,
                  out_channels=4, down_block_types=("CrossAttnDownBlock3D", "DownBlock3D"),
                  up_block_types=("UpBlock3D", "CrossAttnUpBlock3D"), cross_attention_dim=4,
                  attention_head_dim=4, norm_num_groups=2)
    save(dummy, "dummy")
    zs = build(2345, block_out_channels=(8, 16, 16), layers_per_block=2, sample_size=16, in_channels=4,
               out_channels=4, down_block_types=("CrossAttnDownBlock3D", "CrossAttnDownBlock3D", "DownBlock3D"),
               up_block_types=("UpBlock3D", "CrossAttnUpBlock3D", "CrossAttnUpBlock3D"), cross_attention_dim=12,
               attention_head_dim=4, norm_num_groups=4)
    save(zs, "zs")
    gw = GoldenWriter(os.path.join(OUT, "ref.gguf"), generator="tools/ref/make_golden_unet3d.py",
                      compute="diffusers %s UNet3DConditionModel float32" % diffusers.__version__)
    cases(gw, dummy, "dummy", [(1, 3, 8, 8), (2, 4, 8, 8), (1, 2, 7, 9), (1, 1, 8, 8)], 77)
    cases(gw, zs, "zs", [(2, 3, 8, 8), (1, 4, 6, 10)], 9)
    gw.write()
    for root, _, files in os.walk(OUT):
        for f in sorted(files):
            print(os.path.join(root, f), os.path.getsize(os.path.join(root, f)))
