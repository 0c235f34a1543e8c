#!/usr/bin/env python3
"""Golden references for diffusers' AutoencoderKL (src/models/vae/autoencoder_kl.c).

Two tiny models (random weights, fixed seed) built from the upstream diffusers class and saved
with save_pretrained, so the folders hold exactly the tensor names and config.json keys of the
published checkpoints (SD 1.x vae/, AudioLDM vae/):
  tests/golden/vae/tiny/   3 -> 3 channels, block_out_channels (16, 32), layers_per_block 1,
                           latent 4, norm_num_groups 8, F32 safetensors (SD-like)
  tests/golden/vae/mel/    1 -> 1 channel (AudioLDM's mel VAE), block_out_channels (8, 16, 16),
                           layers_per_block 2 (as AudioLDM), latent 8, norm_num_groups 4, saved as
                           F16 safetensors (the converter's F16 path; the reference runs in
                           float32 on the same F16-rounded weights)
  tests/golden/vae/ref.gguf  golden cases:
     <model>_decode_*   in0 latent z [W,H,L,N] (already divided by scaling_factor) -> decode(z)
     <model>_encode_*   in0 image [W,H,C,N] -> out = concat(mean, logvar) along channels
                        (latent_dist.mean / .logvar, logvar clamped to [-30, 20] as diffusers)
     <model>_sample_*   in0 image, in1 noise [W,H,L,N] -> mean + exp(0.5 logvar) * noise
     <model>_tiled_*    in0 latent larger than a tile -> decode with enable_tiling() (tiles of
                        sample_size pixels, overlap 0.25, linear blending)
     resnet_temb*       ResnetBlock2D with a time embedding (src/models/common/resnet2d.c):
                        in0 x [W,H,Cin,N], in1 temb [T,N]; weights as resnet_temb*_w.<name>
(The widths are smaller than SD's so the committed files stay well under 2 MB.)
Run with the reference venv: .venv-ref/bin/python tools/ref/make_golden_vae.py
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from golden import GoldenWriter  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "golden", "vae")


def build(seed, half, **cfg):
    from diffusers import AutoencoderKL

    torch.manual_seed(seed)
    n = len(cfg["block_out_channels"])
    vae = AutoencoderKL(down_block_types=("DownEncoderBlock2D",) * n, up_block_types=("UpDecoderBlock2D",) * n,
                        **cfg).eval()
    # default init leaves norms at 1/0 and attention tiny: perturb so every parameter matters
    with torch.no_grad():
        for name, p in vae.named_parameters():
            if "norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))
            elif "to_" in name:
                p.copy_(torch.randn_like(p) / (p.shape[-1] ** 0.5))
        if half:  # round the weights to F16 so the F32 reference uses exactly what is saved
            for p in vae.parameters():
                p.copy_(p.half().float())
    return vae


def save(vae, name, half):
    path = os.path.join(OUT, name)
    if half:
        vae = vae.to(torch.float16)
    vae.save_pretrained(path, safe_serialization=True)
    if half:
        vae.to(torch.float32)


def save_deprecated_names(vae, name, old_name):
    """Copy of folder `name` with the mid-block attention tensors under the names of older
    diffusers checkpoints (query/key/value/proj_attn, as in SD 1.x's original vae/ folder);
    diffusers renames them on load (_convert_deprecated_attention_blocks): check that it does
    and that the outputs are unchanged."""
    import shutil

    from diffusers import AutoencoderKL
    from safetensors.torch import load_file, save_file

    src, dst = os.path.join(OUT, name), os.path.join(OUT, old_name)
    os.makedirs(dst, exist_ok=True)
    shutil.copy(os.path.join(src, "config.json"), os.path.join(dst, "config.json"))
    sd = load_file(os.path.join(src, "diffusion_pytorch_model.safetensors"))
    ren = {".to_q.": ".query.", ".to_k.": ".key.", ".to_v.": ".value.", ".to_out.0.": ".proj_attn."}
    out = {}
    for k, v in sd.items():
        for a, b in ren.items():
            if ".attentions." in k and a in k:
                k = k.replace(a, b)
        out[k] = v
    assert any(".proj_attn." in k for k in out)
    save_file(out, os.path.join(dst, "diffusion_pytorch_model.safetensors"), metadata={"format": "pt"})
    again = AutoencoderKL.from_pretrained(dst).float().eval()
    z = torch.randn(1, vae.config.latent_channels, 4, 4)
    with torch.no_grad():
        assert torch.equal(again.decode(z).sample, vae.decode(z).sample)


def tiled_cases(gw, vae, name, shapes):
    """diffusers' tiled decode (enable_tiling(): tiles of sample_size pixels, overlap 0.25)."""
    g = torch.Generator().manual_seed(11)
    vae.enable_tiling()
    for shp in shapes:
        z = torch.randn(shp, generator=g)
        assert shp[-1] > vae.tile_latent_min_size or shp[-2] > vae.tile_latent_min_size
        with torch.no_grad():
            y = vae.decode(z).sample
        tag = "x".join(str(s) for s in shp)
        gw.add_case(f"{name}_tiled_{tag}", "vae_decode_tiled", inputs=[z.numpy()], out=y.numpy(),
                    params={}, tol_nmse=1e-9, tol_max_abs=1e-3)
    vae.disable_tiling()


def resnet_cases(gw):
    """diffusers ResnetBlock2D with a time embedding (as the UNets use it; the VAE's blocks have
    none): weights stored in ref.gguf as <case>_w.<state_dict name> (ggml layout), one case
    with a 1x1 shortcut (8 -> 16 channels) and one with the identity shortcut."""
    from diffusers.models.resnet import ResnetBlock2D

    from golden import as_np

    g = torch.Generator().manual_seed(5)
    for case, cin, cout, groups in (("resnet_temb", 8, 16, 4), ("resnet_temb_id", 16, 16, 8)):
        torch.manual_seed(cin * 100 + cout)
        rb = ResnetBlock2D(in_channels=cin, out_channels=cout, temb_channels=12, groups=groups, eps=1e-5).eval()
        with torch.no_grad():
            for n, p in rb.named_parameters():
                if "norm" in n and n.endswith("weight"):
                    p.copy_(1.0 + 0.2 * torch.randn_like(p))
                elif n.endswith("bias"):
                    p.copy_(0.1 * torch.randn_like(p))
        x = torch.randn(2, cin, 6, 10, generator=g)
        temb = torch.randn(2, 12, generator=g)
        with torch.no_grad():
            y = rb(x, temb)
        for k, v in rb.state_dict().items():
            gw._add_tensor(f"{case}_w.{k}", as_np(v))
        gw.add_case(case, "resnet2d", inputs=[x.numpy(), temb.numpy()], out=y.numpy(),
                    params={"c_in": cin, "c_out": cout, "groups": groups, "eps": 1e-5, "temb": 12},
                    tol_nmse=1e-10, tol_max_abs=1e-4)


def cases(gw, vae, name, dec_shapes, enc_shapes):
    g = torch.Generator().manual_seed(7)
    L = vae.config.latent_channels
    C = vae.config.in_channels
    for shp in dec_shapes:
        z = torch.randn(shp, generator=g)
        with torch.no_grad():
            y = vae.decode(z).sample
        tag = "x".join(str(s) for s in shp)
        gw.add_case(f"{name}_decode_{tag}", "vae_decode", inputs=[z.numpy()], out=y.numpy(),
                    params={}, tol_nmse=1e-9, tol_max_abs=1e-3)
    for shp in enc_shapes:
        x = torch.rand(shp, generator=g) * 2 - 1
        with torch.no_grad():
            dist = vae.encode(x).latent_dist
        ml = torch.cat([dist.mean, dist.logvar], dim=1)
        tag = "x".join(str(s) for s in shp)
        gw.add_case(f"{name}_encode_{tag}", "vae_encode", inputs=[x.numpy()], out=ml.numpy(),
                    params={}, tol_nmse=1e-9, tol_max_abs=1e-3)
        noise = torch.randn(dist.mean.shape, generator=g)
        s = dist.mean + dist.std * noise
        gw.add_case(f"{name}_sample_{tag}", "vae_sample", inputs=[x.numpy(), noise.numpy()], out=s.numpy(),
                    params={}, tol_nmse=1e-9, tol_max_abs=1e-3)
    assert L and C


if __name__ == "__main__":
    import diffusers

    os.makedirs(OUT, exist_ok=True)
    tiny = build(1234, False, in_channels=3, out_channels=3, block_out_channels=(16, 32), layers_per_block=1,
                 latent_channels=4, norm_num_groups=8, sample_size=32)
    save(tiny, "tiny", False)
    mel = build(4321, True, in_channels=1, out_channels=1, block_out_channels=(8, 16, 16), layers_per_block=2,
                latent_channels=8, norm_num_groups=4, sample_size=64, scaling_factor=0.9227914214134216)
    save(mel, "mel", True)
    save_deprecated_names(mel, "mel", "mel_old")
    gw = GoldenWriter(os.path.join(OUT, "ref.gguf"), generator="tools/ref/make_golden_vae.py",
                      compute="diffusers %s AutoencoderKL float32" % diffusers.__version__)
    cases(gw, tiny, "tiny", [(1, 4, 8, 8), (2, 4, 6, 10)], [(1, 3, 32, 32), (2, 3, 12, 20)])
    cases(gw, mel, "mel", [(1, 8, 4, 6)], [(1, 1, 16, 24)])
    tiled_cases(gw, tiny, "tiny", [(1, 4, 20, 28), (2, 4, 17, 12)])
    tiled_cases(gw, mel, "mel", [(1, 8, 20, 18)])
    resnet_cases(gw)
    gw.write()
    for root, _, files in os.walk(OUT):
        for f in sorted(files):
            print(os.path.join(root, f), os.path.getsize(os.path.join(root, f)))
