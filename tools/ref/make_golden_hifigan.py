#!/usr/bin/env python3
"""Golden references for transformers' SpeechT5HifiGan (src/models/vocoder/hifigan.c), the
vocoder of AudioLDM (diffusers' AudioLDMPipeline vocoder/ folder).

Tiny models (random weights, fixed seed) built from the upstream class and saved with
save_pretrained, so each folder holds exactly the config.json keys and state_dict names of a
published vocoder/ folder:
  tests/golden/hifigan/plain/   model_in_dim 8, upsample_initial_channel 16, upsample_rates
                                [2, 2], kernels [4, 4], resblock kernels [3, 5], dilations
                                [[1, 3], [1, 3]], normalize_before True (mean/scale buffers
                                used), F32 model.safetensors
  tests/golden/hifigan/wn/      same widths, normalize_before False, upsample_rates [3, 2] with
                                kernels [6, 4] (k - u odd, as AudioLDM's first stage 16/5: the
                                output is one sample longer per such stage), leaky_relu_slope
                                0.2; apply_weight_norm() before save_pretrained, so the file has
                                parametrizations.weight.original0/original1 (the converter
                                folds them)
  tests/golden/hifigan/wn_old/  the wn weights under the older weight_g/weight_v names, as a
                                torch.save'd pytorch_model.bin (checked to load back in
                                transformers to the same outputs)
  tests/golden/hifigan/ref.gguf cases <model>_<frames>: in0 mel [frames, 8] (ggml [8, frames],
                                frame-major) -> out waveform [n_samples] (unbatched forward)
Run with the reference venv: .venv-ref/bin/python tools/ref/make_golden_hifigan.py
"""
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from golden import GoldenWriter  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "golden", "hifigan")


def build(seed, wn, **kw):
    from transformers import SpeechT5HifiGan, SpeechT5HifiGanConfig

    cfg = SpeechT5HifiGanConfig(model_in_dim=8, upsample_initial_channel=16, resblock_kernel_sizes=[3, 5],
                                resblock_dilation_sizes=[[1, 3], [1, 3]], **kw)
    torch.manual_seed(seed)
    m = SpeechT5HifiGan(cfg).eval()
    # the default init (std 0.01) makes every layer near-linear and tiny: use fan-in scaling,
    # random biases and buffers so every parameter matters
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))
            else:
                fan = p.shape[1] * p.shape[2] if "upsampler" not in name else p.shape[0] * p.shape[2] / p.shape[1]
                p.copy_(torch.randn_like(p) * (1.5 / fan) ** 0.5 * (0.25 if "conv_post" in name else 1.0))
        m.mean.copy_(0.5 * torch.randn_like(m.mean))
        m.scale.copy_(0.5 + torch.rand_like(m.scale))
    if wn:
        m.apply_weight_norm()
        with torch.no_grad():  # magnitudes away from ||v|| so folding them matters
            for name, p in m.named_parameters():
                if name.endswith("original0"):
                    p.mul_(1.0 + 0.3 * torch.randn_like(p))
    return m


def save_old_names(name, old_name):
    """Copy of folder `name` with the weight-norm tensors under the pre-parametrization names
    weight_g/weight_v (torch.nn.utils.weight_norm's), as pytorch_model.bin. Returns the model
    rebuilt with the old-style weight norm and loaded (strictly) from that file."""
    from safetensors.torch import load_file
    from transformers import SpeechT5HifiGan, SpeechT5HifiGanConfig

    src, dst = os.path.join(OUT, name), os.path.join(OUT, old_name)
    os.makedirs(dst, exist_ok=True)
    shutil.copy(os.path.join(src, "config.json"), os.path.join(dst, "config.json"))
    sd = load_file(os.path.join(src, "model.safetensors"))
    out = {}
    for k, v in sd.items():
        k = k.replace(".parametrizations.weight.original0", ".weight_g").replace(
            ".parametrizations.weight.original1", ".weight_v")
        out[k] = v.contiguous()
    assert any(k.endswith("weight_g") for k in out)
    torch.save(out, os.path.join(dst, "pytorch_model.bin"))
    m = SpeechT5HifiGan(SpeechT5HifiGanConfig.from_pretrained(dst)).eval()
    for mod in m.modules():
        if isinstance(mod, (torch.nn.Conv1d, torch.nn.ConvTranspose1d)):
            torch.nn.utils.weight_norm(mod)
    m.load_state_dict(torch.load(os.path.join(dst, "pytorch_model.bin")), strict=True)
    return m


def main():
    os.makedirs(OUT, exist_ok=True)
    gw = GoldenWriter(os.path.join(OUT, "ref.gguf"), generator="tools/ref/make_golden_hifigan.py",
                      compute="torch float32 forward of transformers SpeechT5HifiGan")
    g = torch.Generator().manual_seed(3)
    models = {
        "plain": build(1, False, upsample_rates=[2, 2], upsample_kernel_sizes=[4, 4], normalize_before=True),
        "wn": build(2, True, upsample_rates=[3, 2], upsample_kernel_sizes=[6, 4], normalize_before=False,
                    leaky_relu_slope=0.2),
    }
    for name, m in models.items():
        path = os.path.join(OUT, name)
        shutil.rmtree(path, ignore_errors=True)
        m.save_pretrained(path, safe_serialization=True)
    old = save_old_names("wn", "wn_old")
    for name, m in models.items():
        for T in (5, 13):
            mel = torch.randn(T, 8, generator=g)
            with torch.no_grad():
                y = m(mel)
                if name == "wn":
                    assert torch.allclose(old(mel), y, atol=1e-6)
            gw.add_case(f"{name}_{T}", "hifigan", inputs=[mel.numpy()], out=y.numpy(), params={},
                        tol_nmse=1e-10, tol_max_abs=1e-5)
            print(name, T, tuple(y.shape), float(y.abs().max()), float(y.std()))
    gw.write()
    for name in ("plain", "wn"):
        from safetensors import safe_open
        with safe_open(os.path.join(OUT, name, "model.safetensors"), "pt") as f:
            keys = list(f.keys())
        print(name, len(keys), [k for k in keys if "conv_pre" in k])


if __name__ == "__main__":
    main()
