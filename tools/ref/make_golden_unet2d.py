#!/usr/bin/env python3
"""Golden references for diffusers' UNet2DConditionModel (src/models/diffusion/unet2d.c).

Three tiny models (random weights, fixed seeds) built from the upstream diffusers class and saved
with save_pretrained, so the folders hold exactly the tensor names and config.json keys of the
published checkpoints (SD 1.x/2.x unet/, AudioLDM unet/):
  tests/golden/unet2d/sd1/    SD 1.x-like: block_out_channels (16, 32), layers_per_block 1,
                              down (CrossAttnDownBlock2D, DownBlock2D), up (UpBlock2D,
                              CrossAttnUpBlock2D), cross_attention_dim 32, attention_head_dim 8
                              (legacy naming: 8 HEADS), norm_num_groups 8, 1x1-conv proj_in/out
  tests/golden/unet2d/sd2/    SD 2.x-like: use_linear_projection, attention_head_dim (2, 4) (heads
                              per block), both blocks cross-attention, cross_attention_dim 24,
                              layers_per_block 1, norm_num_groups 8, transformer_layers_per_block
                              (2, 1) (two BasicTransformerBlocks in the 16-wide blocks)
  tests/golden/unet2d/audioldm/  AudioLDM-like: 8 channels in/out, down (DownBlock2D,
                              CrossAttnDownBlock2D), class_embed_type simple_projection (16-d class
                              vector), class_embeddings_concat, cross_attention_dim (16, 32) = block
                              widths, 4 heads, run with encoder_hidden_states None (attn2 attends
                              over its own input)
  All three are saved as F16 safetensors (the widths are half of SD-like (32, 64) so each folder
  stays < 0.6 MB); the references run in float32 on the same F16-rounded weights, so a lossless
  conversion (F16 or F32 targets) must match to float32 rounding.
  tests/golden/unet2d/ref.gguf  golden cases <model>_<shape>: in0 latents [W,H,C,N], in1 timesteps
                              [N], in2 context [D,L,N] (absent for audioldm: a 1-element dummy),
                              in3 class labels [D_cls,N] (audioldm only) -> out noise prediction;
                              the 1x9x13 and 2x7x10 cases have odd sides (diffusers then upsamples
                              to the skip sizes: forward_upsample_size).
Run with the reference venv: .venv-ref/bin/python tools/ref/make_golden_unet2d.py
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from golden import GoldenWriter  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "golden", "unet2d")


def build(seed, half, **cfg):
    from diffusers import UNet2DConditionModel

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(**cfg).eval()
    # default init leaves norms at 1/0: perturb so every parameter matters
    with torch.no_grad():
        for name, p in unet.named_parameters():
            if "norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))
        if half:
            for p in unet.parameters():
                p.copy_(p.half().float())
    return unet


def save(unet, name, half):
    path = os.path.join(OUT, name)
    if half:
        unet = unet.to(torch.float16)
    unet.save_pretrained(path, safe_serialization=True)
    if half:
        unet.to(torch.float32)


def cases(gw, unet, name, shapes, ctx_len, with_ctx, cls_dim=0, seed=7):
    g = torch.Generator().manual_seed(seed)
    cin = unet.config.in_channels
    cad = unet.config.cross_attention_dim
    cad = cad if isinstance(cad, int) else cad[0]
    for shp in shapes:
        n, h, w = shp
        x = torch.randn((n, cin, h, w), generator=g)
        t = torch.tensor([999.0, 1.0, 500.0, 37.0][:n])
        ctx = torch.randn((n, ctx_len, cad), generator=g) if with_ctx else None
        cls = torch.randn((n, cls_dim), generator=g) if cls_dim else None
        with torch.no_grad():
            y = unet(x, t, encoder_hidden_states=ctx, class_labels=cls).sample
        ins = [x.numpy(), t.numpy(), ctx.numpy() if ctx is not None else np.zeros(1, np.float32)]
        if cls is not None:
            ins.append(cls.numpy())
        tag = "%dx%dx%d" % (n, h, w)
        gw.add_case(f"{name}_{tag}", "unet2d", inputs=ins, out=y.numpy(),
                    params={"has_ctx": bool(with_ctx)}, tol_nmse=1e-9, tol_max_abs=1e-3)


if __name__ == "__main__":
    import diffusers

    os.makedirs(OUT, exist_ok=True)
    sd1 = build(1234, True, sample_size=16, in_channels=4, out_channels=4, block_out_channels=(16, 32),
                layers_per_block=1, down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
                up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), cross_attention_dim=32,
                attention_head_dim=8, norm_num_groups=8)
    save(sd1, "sd1", True)
    sd2 = build(2345, True, sample_size=16, in_channels=4, out_channels=4, block_out_channels=(16, 32),
                layers_per_block=1, down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
                up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D"), cross_attention_dim=24,
                attention_head_dim=(2, 4), use_linear_projection=True, norm_num_groups=8,
                transformer_layers_per_block=(2, 1))
    save(sd2, "sd2", True)
    ald = build(3456, True, sample_size=16, in_channels=8, out_channels=8, block_out_channels=(16, 32),
                layers_per_block=1, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=(16, 32),
                attention_head_dim=4, norm_num_groups=8, class_embed_type="simple_projection",
                projection_class_embeddings_input_dim=16, class_embeddings_concat=True)
    save(ald, "audioldm", True)
    gw = GoldenWriter(os.path.join(OUT, "ref.gguf"), generator="tools/ref/make_golden_unet2d.py",
                      compute="diffusers %s UNet2DConditionModel float32" % diffusers.__version__)
    cases(gw, sd1, "sd1", [(2, 16, 16), (1, 8, 12), (1, 9, 13)], 7, True)
    cases(gw, sd2, "sd2", [(2, 16, 16), (1, 12, 8)], 5, True)
    cases(gw, ald, "audioldm", [(2, 16, 16), (1, 8, 12), (2, 7, 10)], 0, False, cls_dim=16)
    gw.write()
    for root, _, files in os.walk(OUT):
        for f in sorted(files):
            print(os.path.join(root, f), os.path.getsize(os.path.join(root, f)))
