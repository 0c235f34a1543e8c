#!/usr/bin/env python3
"""Golden references for the shared transformer blocks (src/models/common/nn.c) against
torch.nn.MultiheadAttention (packed in_proj, add_bias_kv, additive/causal masks, kdim/vdim
cross-attention with separate q/k/v weights) and a two-layer GELU MLP.

Inputs are written batch-major (numpy [B, L, D] -> ggml [D, L, B]); torch's sequence-first
MultiheadAttention is fed the transposed tensors.
Run with the reference venv: .venv-ref/bin/python tools/ref/make_golden_nn.py"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from golden import GoldenWriter  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "golden", "nn", "nn.gguf")
torch.manual_seed(0)
gw = GoldenWriter(OUT, generator="tools/ref/make_golden_nn.py", compute="torch float32 on CPU")
TOL = dict(tol_nmse=1e-10, tol_max_abs=1e-4)


def mha_case(name, D, H, B, Lq, add_bias_kv=False, mask=None, causal=False):
    m = torch.nn.MultiheadAttention(D, H, bias=True, add_bias_kv=add_bias_kv).eval()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn_like(p) * 0.3)
    x = torch.randn(B, Lq, D)
    am = None
    if causal:
        am = torch.full((Lq, Lq), float("-inf")).triu_(1)
    if mask is not None:
        am = mask if am is None else am + mask
    with torch.no_grad():
        y = m(x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1), need_weights=False, attn_mask=am)[0]
    y = y.transpose(0, 1)
    ins = [x, m.in_proj_weight, m.in_proj_bias, m.out_proj.weight, m.out_proj.bias]
    if add_bias_kv:
        ins += [m.bias_k.reshape(-1), m.bias_v.reshape(-1)]
    params = {"n_head": H, "bias_kv": int(add_bias_kv), "causal": int(causal), "has_mask": int(mask is not None)}
    if mask is not None:
        ins.append(mask)
    gw.add_case(name, "mha_packed", inputs=ins, out=y, params=params, **TOL)


mha_case("mha_self", 16, 2, 2, 7)
mha_case("mha_bias_kv", 24, 3, 3, 5, add_bias_kv=True)
mha_case("mha_causal", 16, 4, 2, 6, causal=True)
pad = torch.zeros(6, 6)
pad[:, 4:] = float("-inf")
mha_case("mha_mask_bias_kv", 16, 2, 1, 6, add_bias_kv=True, mask=pad)
mha_case("mha_causal_bias_kv", 8, 2, 2, 9, add_bias_kv=True, causal=True)

# cross attention, kdim/vdim != embed_dim: separate q/k/v weights, packed bias
D, H, B, Lq, Lk, Dk = 16, 4, 2, 5, 9, 12
m = torch.nn.MultiheadAttention(D, H, kdim=Dk, vdim=Dk).eval()
with torch.no_grad():
    for p in m.parameters():
        p.copy_(torch.randn_like(p) * 0.3)
xq, xkv = torch.randn(B, Lq, D), torch.randn(B, Lk, Dk)
with torch.no_grad():
    y = m(xq.transpose(0, 1), xkv.transpose(0, 1), xkv.transpose(0, 1), need_weights=False)[0].transpose(0, 1)
gw.add_case("mha_cross", "mha_cross",
            inputs=[xq, xkv, m.q_proj_weight, m.k_proj_weight, m.v_proj_weight, m.in_proj_bias, m.out_proj.weight,
                    m.out_proj.bias], out=y, params={"n_head": H}, **TOL)

# MLP (timm Mlp: fc1 -> GELU -> fc2)
fc1, fc2 = torch.nn.Linear(20, 48), torch.nn.Linear(48, 12)
x = torch.randn(3, 4, 20)
with torch.no_grad():
    y = fc2(torch.nn.functional.gelu(fc1(x)))
gw.add_case("mlp_gelu", "mlp", inputs=[x, fc1.weight, fc1.bias, fc2.weight, fc2.bias], out=y, **TOL)

# layer norm with F16 parameters
ln = torch.nn.LayerNorm(24, eps=1e-6)
with torch.no_grad():
    ln.weight.copy_(torch.randn(24).half().float())
    ln.bias.copy_(torch.randn(24).half().float())
x = torch.randn(5, 24)
with torch.no_grad():
    y = ln(x)
gw.add_case("ln_f16", "layer_norm_f16", inputs=[x, ln.weight.half(), ln.bias.half()], out=y, params={"eps": 1e-6}, dtypes=[None, np.float16, np.float16],
            **TOL)
gw.write()
print("wrote", OUT)
