#!/usr/bin/env python3
"""Golden references for the basic ops (tests/golden/ops/*.gguf), computed with PyTorch.

Run through tools/ref/make_golden.sh (or: .venv-ref/bin/python tools/ref/make_golden_ops.py [outdir]).

How the references are computed: every input is drawn as float32 (and stored as such), then
promoted to float64 and pushed through the PyTorch function (torch.nn.functional on float64
CPU tensors, or the explicit formula of the upstream module where there is no functional:
LlamaRMSNorm, HF rotate_half RoPE, the interleaved GGUF RoPE, diffusers GEGLU); the float64
result is rounded once to float32. So a reference carries only the final rounding error, and
the tolerances measure our fp32 kernels' own error. Cases that only move data (get_rows,
upsample, max pool, concat) have zero tolerance.

Layouts: arrays are stored in PyTorch's (row-major) shape; the GGUF file shows them reversed
(ggml order), which is the layout our kernels take -- see tools/ref/golden.py. Where a case's
tensor needs another layout in C the case's notes below say so.

Per-op case conventions (the C test tests/golden/test_golden_ops.c follows them):
  linear        in0 x [.., M, K], in1 w [N, K] (F32 or F16), in2 bias [N] (optional); out = x @ w.T (+ b)
  add, mul      in0 a, in1 b (b broadcasts over a, numpy rules with b's dims dividing a's)
  scale         in0 x; params s, bias; out = s*x + bias
  silu, gelu, gelu_tanh, quick_gelu   in0 x
  swiglu        in0 gate, in1 up; out = silu(gate) * up            (LLaMA MLP)
  geglu         in0 proj [.., 2D] (value | gate); out = value * gelu(gate)   (diffusers GEGLU)
  rms_norm      in0 x, in1 w; param eps                            (LlamaRMSNorm)
  layer_norm    in0 x, in1 w, in2 b; param eps                     (nn.LayerNorm over the last dim)
  group_norm    in0 x [N, C, H, W], in1 w [C], in2 b [C]; params n_groups, eps
  softmax       in0 x, in1 additive mask (optional, broadcast over leading dims); param scale;
                out = softmax(scale * x + mask, dim=-1)
  rope          in0 x [S, H, D] (C: [D, H, S]), in1 positions I32 [S]; params mode
                ("normal" | "neox"), n_rot, freq_base
  conv1d        in0 x [N, Cin, L], in1 w [Cout, Cin/g, K], in2 b (optional); params stride,
                padding, dilation, groups (i32)
  conv2d        in0 x [N, Cin, H, W], in1 w [Cout, Cin/g, KH, KW], in2 b; params stride,
                padding, dilation (i32 arrays [h, w]), groups
  conv3d        in0 x [N, Cin, T, H, W], in1 w [Cout, Cin, KT, KH, KW], in2 b; params
                stride, padding, dilation (i32 arrays [t, h, w])
  conv_transpose1d  in0 x [N, Cin, L], in1 w [Cin, Cout/g, K], in2 b; params stride, padding,
                output_padding, dilation, groups
  avg_pool2d, max_pool2d   in0 x [N, C, H, W]; params kernel, stride, padding (i32 arrays
                [h, w]), count_include_pad (avg)
  avg_pool1d, max_pool1d   in0 x [N, C, L]; params kernel, stride, padding (i32), count_include_pad
  upsample_nearest2d       in0 x [N, C, H, W]; params scale (i32 array [h, w])
  attention     in0 q [B, H, Sq, D], in1 k [B, Hkv, Sk, D], in2 v [B, Hkv, Sk, Dv], in3 additive
                mask [B, H, Sq, Sk] (optional); params scale, causal (i32), kv_offset (i32, causal
                cases only: absolute position of query 0, = Sk - Sq, i.e. bottom-right
                aligned causal mask); out [B, H, Sq, Dv]
                (C produces [Dv, H, Sq, B]: compare through a permuted view)
  get_rows      in0 table [V, E] (F32 or F16), in1 ids I32 [n]; out [n, E]
  concat        in0 a, in1 b; param dim (PyTorch numbering; C uses n_dims-1-dim)
"""

from __future__ import annotations

import math
import os
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden import GoldenWriter  # noqa: E402

GENERATOR = "tools/ref/make_golden_ops.py"
torch.set_num_threads(1)


def rng_for(name: str) -> np.random.Generator:
    """A generator seeded from the case name: adding or removing cases never changes others."""
    return np.random.default_rng(zlib.crc32(name.encode()))


def randn(rng: np.random.Generator, *shape: int, std: float = 1.0, mean: float = 0.0) -> np.ndarray:
    return (mean + std * rng.standard_normal(shape)).astype(np.float32)


def d(x: np.ndarray) -> torch.Tensor:
    """float32 numpy -> float64 torch (exact)."""
    return torch.from_numpy(np.asarray(x, dtype=np.float32)).double()


def f32(t: torch.Tensor) -> np.ndarray:
    return t.detach().float().numpy()


def tol_abs(out: np.ndarray, rel: float) -> float:
    """Absolute tolerance rel * max(1, max|out|)."""
    return float(rel * max(1.0, float(np.max(np.abs(out))) if out.size else 1.0))


# ================================================================================ linear
def make_linear(outdir: str) -> GoldenWriter:
    gw = GoldenWriter(os.path.join(outdir, "linear.gguf"), GENERATOR)

    def case(name, xshape, n, bias=False, wdtype=np.float32, std=1.0):
        rng = rng_for(name)
        k = xshape[-1]
        x = randn(rng, *xshape, std=std)
        w = randn(rng, n, k, std=1.0 / math.sqrt(k))
        w = w.astype(wdtype).astype(np.float32)  # F16 weights: reference uses the rounded values
        ins = [x, w]
        ref = d(x) @ d(w).T
        if bias:
            b = randn(rng, n)
            ins.append(b)
            ref = ref + d(b)
        out = f32(ref)
        dts = [None, wdtype] + ([None] if bias else [])
        # fp32 accumulation over K terms: relative error ~ sqrt(K) * 6e-8
        gw.add_case(name, "linear", ins, out, tol_nmse=1e-11, tol_max_abs=tol_abs(out, 2e-6), dtypes=dts)

    case("linear_2d", (7, 64), 48)
    case("linear_gemv", (1, 128), 33)
    case("linear_3d_bias", (2, 5, 96), 40, bias=True)
    case("linear_f16w", (6, 80), 24, wdtype=np.float16)
    case("linear_large_k", (9, 576), 20, std=2.0)
    return gw


# ================================================================================ elementwise
def make_elementwise(outdir: str) -> GoldenWriter:
    gw = GoldenWriter(os.path.join(outdir, "elementwise.gguf"), GENERATOR)

    # activations: a spread of magnitudes incl. saturation (|x| up to 12) and tiny values
    rng = rng_for("act_input")
    x = np.concatenate([
        randn(rng, 200, std=3.0),
        np.linspace(-12, 12, 97, dtype=np.float32),
        randn(rng, 40, std=1e-3),
        np.array([0.0, -0.0, 1e-30, -1e-30, 30.0, -30.0, 80.0, -80.0], dtype=np.float32),
    ]).astype(np.float32).reshape(5, 69)
    xd = d(x)
    acts = {
        "silu": F.silu(xd),
        "gelu": F.gelu(xd),
        "gelu_tanh": F.gelu(xd, approximate="tanh"),
        "quick_gelu": xd * torch.sigmoid(1.702 * xd),  # CLIP QuickGELUActivation
    }
    for op, ref in acts.items():
        out = f32(ref)
        # outputs reach |80|: 2e-7 relative to the largest is a few ulp there
        gw.add_case(op, op, [x], out, tol_nmse=1e-12, tol_max_abs=tol_abs(out, 2e-7))

    rng = rng_for("swiglu")
    gate, up = randn(rng, 5, 72, std=2.0), randn(rng, 5, 72)
    out = f32(F.silu(d(gate)) * d(up))
    gw.add_case("swiglu", "swiglu", [gate, up], out, tol_nmse=1e-12, tol_max_abs=tol_abs(out, 2e-6))

    # diffusers GEGLU.forward: hidden, gate = proj(x).chunk(2, dim=-1); hidden * gelu(gate)
    rng = rng_for("geglu")
    proj = randn(rng, 2, 3, 80, std=2.0)
    pd = d(proj)
    value, g = pd.chunk(2, dim=-1)
    out = f32(value * F.gelu(g))
    gw.add_case("geglu", "geglu", [proj], out, tol_nmse=1e-12, tol_max_abs=tol_abs(out, 2e-6))

    rng = rng_for("add_bcast")
    a, b = randn(rng, 3, 5, 8), randn(rng, 8)
    gw.add_case("add_bcast", "add", [a, b], f32(d(a) + d(b)), tol_nmse=0.0, tol_max_abs=0.0)
    rng = rng_for("add_same")
    a, b = randn(rng, 4, 33), randn(rng, 4, 33)
    gw.add_case("add_same", "add", [a, b], f32(d(a) + d(b)), tol_nmse=0.0, tol_max_abs=0.0)
    rng = rng_for("mul_bcast")
    a, b = randn(rng, 2, 3, 5, 8), randn(rng, 3, 1, 8)
    gw.add_case("mul_bcast", "mul", [a, b], f32(d(a) * d(b)), tol_nmse=0.0, tol_max_abs=0.0)
    rng = rng_for("scale")
    a = randn(rng, 4, 9)
    # fmaf(s, a, bias) is exactly the float64 product-sum rounded once
    gw.add_case("scale", "scale", [a], f32(0.125 * d(a) + 0.5), params={"s": 0.125, "bias": 0.5},
                tol_nmse=0.0, tol_max_abs=0.0)
    return gw


# ================================================================================ norms
def make_norm(outdir: str) -> GoldenWriter:
    gw = GoldenWriter(os.path.join(outdir, "norm.gguf"), GENERATOR)

    rng = rng_for("layer_norm")
    x, w, b = randn(rng, 3, 5, 96, std=2.0, mean=0.5), randn(rng, 96), randn(rng, 96)
    out = f32(F.layer_norm(d(x), (96,), d(w), d(b), eps=1e-5))
    gw.add_case("layer_norm", "layer_norm", [x, w, b], out, params={"eps": 1e-5},
                tol_nmse=1e-12, tol_max_abs=tol_abs(out, 2e-6))

    # LlamaRMSNorm.forward: variance = h.pow(2).mean(-1, keepdim=True); h * rsqrt(variance + eps); w * h
    for name, shape, eps in (("rms_norm", (3, 4, 64), 1e-6), ("rms_norm_eps5", (2, 130), 1e-5)):
        rng = rng_for(name)
        x, w = randn(rng, *shape, std=1.5), randn(rng, shape[-1], mean=1.0, std=0.2)
        xd = d(x)
        h = xd * torch.rsqrt(xd.pow(2).mean(-1, keepdim=True) + eps)
        out = f32(d(w) * h)
        gw.add_case(name, "rms_norm", [x, w], out, params={"eps": eps},
                    tol_nmse=1e-12, tol_max_abs=tol_abs(out, 2e-6))

    for name, shape, groups, eps, mean in (("group_norm", (2, 64, 5, 6), 32, 1e-5, 0.0),
                                           ("group_norm_sd", (1, 64, 8, 8), 32, 1e-6, 3.0)):
        rng = rng_for(name)
        c = shape[1]
        x, w, b = randn(rng, *shape, mean=mean), randn(rng, c), randn(rng, c)
        out = f32(F.group_norm(d(x), groups, d(w), d(b), eps=eps))
        gw.add_case(name, "group_norm", [x, w, b], out, params={"n_groups": groups, "eps": eps},
                    tol_nmse=1e-12, tol_max_abs=tol_abs(out, 2e-6))
    return gw


# ================================================================================ softmax
def causal_mask(sq: int, sk: int) -> np.ndarray:
    """Additive mask: query i (absolute position sk - sq + i) sees keys j <= sk - sq + i."""
    i = np.arange(sq)[:, None] + (sk - sq)
    j = np.arange(sk)[None, :]
    return np.where(j <= i, 0.0, -np.inf).astype(np.float32)


def make_softmax(outdir: str) -> GoldenWriter:
    gw = GoldenWriter(os.path.join(outdir, "softmax.gguf"), GENERATOR)

    rng = rng_for("softmax_causal")
    x = randn(rng, 3, 6, 6, std=4.0)
    m = causal_mask(6, 6)
    out = f32(torch.softmax(0.25 * d(x) + d(m), dim=-1))
    gw.add_case("softmax_causal", "softmax", [x, m], out, params={"scale": 0.25},
                tol_nmse=1e-12, tol_max_abs=1e-6)

    rng = rng_for("softmax_kv")
    x = randn(rng, 2, 4, 9, std=3.0)
    m = causal_mask(4, 9)
    out = f32(torch.softmax(0.5 * d(x) + d(m), dim=-1))
    gw.add_case("softmax_kv", "softmax", [x, m], out, params={"scale": 0.5},
                tol_nmse=1e-12, tol_max_abs=1e-6)

    rng = rng_for("softmax_plain")
    x = randn(rng, 5, 37, std=5.0)
    out = f32(torch.softmax(d(x), dim=-1))
    gw.add_case("softmax_plain", "softmax", [x], out, params={"scale": 1.0},
                tol_nmse=1e-12, tol_max_abs=1e-6)
    return gw


# ================================================================================ rope
def inv_freq(n_rot: int, base: float) -> torch.Tensor:
    """LLaMA's inv_freq = 1 / base^(arange(0, n_rot, 2) / n_rot), in float64."""
    return 1.0 / (base ** (torch.arange(0, n_rot, 2, dtype=torch.float64) / n_rot))


def rope_neox_ref(x: torch.Tensor, pos: np.ndarray, n_rot: int, base: float) -> torch.Tensor:
    """HF apply_rotary_pos_emb with rotate_half on the first n_rot dims of x [S, H, D]."""
    freqs = torch.from_numpy(pos.astype(np.float64))[:, None] * inv_freq(n_rot, base)[None, :]  # [S, n_rot/2]
    emb = torch.cat([freqs, freqs], dim=-1)  # [S, n_rot]
    cos, sin = emb.cos()[:, None, :], emb.sin()[:, None, :]  # broadcast over heads

    def rotate_half(t):
        t1, t2 = t[..., : t.shape[-1] // 2], t[..., t.shape[-1] // 2:]
        return torch.cat([-t2, t1], dim=-1)

    xr, xp = x[..., :n_rot], x[..., n_rot:]
    return torch.cat([xr * cos + rotate_half(xr) * sin, xp], dim=-1)


def rope_normal_ref(x: torch.Tensor, pos: np.ndarray, n_rot: int, base: float) -> torch.Tensor:
    """Interleaved pairs (x[2i], x[2i+1]) rotated by pos * inv_freq[i]: the GGUF LLaMA layout
    (convert_hf_to_gguf permutes q/k rows so this equals HF's rotate_half on the original)."""
    freqs = torch.from_numpy(pos.astype(np.float64))[:, None] * inv_freq(n_rot, base)[None, :]
    cos, sin = freqs.cos()[:, None, :], freqs.sin()[:, None, :]
    x0, x1 = x[..., 0:n_rot:2], x[..., 1:n_rot:2]
    y = x.clone()
    y[..., 0:n_rot:2] = x0 * cos - x1 * sin
    y[..., 1:n_rot:2] = x0 * sin + x1 * cos
    return y


def make_rope(outdir: str) -> GoldenWriter:
    gw = GoldenWriter(os.path.join(outdir, "rope.gguf"), GENERATOR)
    for name, mode, s, h, dim, n_rot, base, p0 in (
        ("rope_neox", "neox", 7, 4, 16, 16, 10000.0, 3),
        ("rope_normal", "normal", 7, 4, 16, 16, 10000.0, 3),
        ("rope_neox_partial", "neox", 5, 2, 32, 16, 10000.0, 0),
        ("rope_normal_qwen_base", "normal", 6, 3, 64, 64, 1e6, 100),
        ("rope_neox_long_pos", "neox", 4, 2, 64, 64, 10000.0, 4090),
    ):
        rng = rng_for(name)
        x = randn(rng, s, h, dim)
        pos = (p0 + np.arange(s)).astype(np.int32)
        fn = rope_neox_ref if mode == "neox" else rope_normal_ref
        out = f32(fn(d(x), pos, n_rot, base))
        # angles are up to ~4000 rad: float32 cos/sin of a float32 angle would lose ~1e-4;
        # our op computes cos/sin in double, so the error is the final rounding only
        gw.add_case(name, "rope", [x, pos], out,
                    params={"mode": mode, "n_rot": n_rot, "freq_base": base},
                    tol_nmse=1e-12, tol_max_abs=tol_abs(out, 2e-6))
    return gw


# ================================================================================ conv
def make_conv(outdir: str) -> GoldenWriter:
    gw = GoldenWriter(os.path.join(outdir, "conv.gguf"), GENERATOR)

    def tol(out, fan_in):
        # fp32 dot products of fan_in terms: error grows ~ sqrt(fan_in) ulp
        return dict(tol_nmse=1e-11, tol_max_abs=tol_abs(out, 2.5e-7 * max(4.0, math.sqrt(fan_in))))

    # ---- conv1d
    for name, xs, cout, k, stride, pad, dil, groups, bias in (
        ("conv1d_k3_p1", (2, 4, 23), 6, 3, 1, 1, 1, 1, True),
        ("conv1d_s2_d2", (1, 5, 30), 7, 5, 2, 3, 2, 1, True),
        ("conv1d_groups", (1, 8, 17), 8, 3, 1, 1, 1, 4, False),
        ("conv1d_hifigan_k7", (1, 6, 40), 6, 7, 1, 9, 3, 1, True),
    ):
        rng = rng_for(name)
        cin = xs[1]
        x = randn(rng, *xs)
        w = randn(rng, cout, cin // groups, k, std=1.0 / math.sqrt(cin // groups * k))
        b = randn(rng, cout) if bias else None
        out = f32(F.conv1d(d(x), d(w), d(b) if bias else None, stride=stride, padding=pad, dilation=dil, groups=groups))
        gw.add_case(name, "conv1d", [x, w] + ([b] if bias else []), out,
                    params={"stride": stride, "padding": pad, "dilation": dil, "groups": groups},
                    **tol(out, cin // groups * k))

    # ---- conv2d
    for name, xs, cout, k, stride, pad, dil, groups, bias in (
        ("conv2d_3x3_p1", (2, 8, 9, 11), 16, (3, 3), (1, 1), (1, 1), (1, 1), 1, True),
        ("conv2d_3x3_s2", (1, 8, 12, 10), 8, (3, 3), (2, 2), (1, 1), (1, 1), 1, True),
        ("conv2d_1x1", (1, 16, 6, 7), 12, (1, 1), (1, 1), (0, 0), (1, 1), 1, True),
        ("conv2d_groups", (1, 8, 7, 7), 8, (3, 3), (1, 1), (1, 1), (1, 1), 4, True),
        ("conv2d_depthwise", (1, 6, 7, 9), 6, (3, 3), (1, 1), (1, 1), (1, 1), 6, False),
        ("conv2d_rect_dil", (1, 3, 11, 13), 5, (3, 5), (2, 1), (2, 1), (2, 1), 1, True),
        ("conv2d_patch16", (1, 3, 32, 48), 8, (16, 16), (16, 16), (0, 0), (1, 1), 1, True),
    ):
        rng = rng_for(name)
        cin = xs[1]
        fan = cin // groups * k[0] * k[1]
        x = randn(rng, *xs)
        w = randn(rng, cout, cin // groups, *k, std=1.0 / math.sqrt(fan))
        b = randn(rng, cout) if bias else None
        out = f32(F.conv2d(d(x), d(w), d(b) if bias else None, stride=stride, padding=pad, dilation=dil, groups=groups))
        gw.add_case(name, "conv2d", [x, w] + ([b] if bias else []), out,
                    params={"stride": list(stride), "padding": list(pad), "dilation": list(dil), "groups": groups},
                    **tol(out, fan))

    # ---- conv3d: ImageBind's PatchEmbedGeneric (Conv3d kernel = stride = (2,14,14), no bias),
    # and Zeroscope's TemporalConvLayer shape (kernel (3,1,1), padding (1,0,0))
    for name, xs, cout, k, stride, pad, bias in (
        ("conv3d_imagebind", (1, 3, 2, 28, 28), 16, (2, 14, 14), (2, 14, 14), (0, 0, 0), False),
        ("conv3d_temporal", (1, 4, 5, 6, 6), 6, (3, 1, 1), (1, 1, 1), (1, 0, 0), True),
        ("conv3d_3x3x3", (2, 3, 4, 5, 6), 4, (3, 3, 3), (1, 2, 1), (1, 1, 0), True),
    ):
        rng = rng_for(name)
        cin = xs[1]
        fan = cin * k[0] * k[1] * k[2]
        x = randn(rng, *xs)
        w = randn(rng, cout, cin, *k, std=1.0 / math.sqrt(fan))
        b = randn(rng, cout) if bias else None
        out = f32(F.conv3d(d(x), d(w), d(b) if bias else None, stride=stride, padding=pad))
        gw.add_case(name, "conv3d", [x, w] + ([b] if bias else []), out,
                    params={"stride": list(stride), "padding": list(pad), "dilation": [1, 1, 1]},
                    **tol(out, fan))

    # ---- conv_transpose1d: HiFi-GAN upsampler (K=16, stride 8, padding 4) and a small odd one
    for name, xs, cout, k, stride, pad, opad, dil, groups in (
        ("conv_transpose1d_hifigan", (1, 8, 10), 4, 16, 8, 4, 0, 1, 1),
        ("conv_transpose1d_opad", (2, 3, 7), 5, 4, 2, 1, 1, 1, 1),
        ("conv_transpose1d_dil", (1, 4, 9), 6, 3, 3, 2, 0, 2, 2),
    ):
        rng = rng_for(name)
        cin = xs[1]
        x = randn(rng, *xs)
        w = randn(rng, cin, cout // groups, k, std=1.0 / math.sqrt(cin * k / stride))
        b = randn(rng, cout)
        out = f32(F.conv_transpose1d(d(x), d(w), d(b), stride=stride, padding=pad, output_padding=opad,
                                     groups=groups, dilation=dil))
        gw.add_case(name, "conv_transpose1d", [x, w, b], out,
                    params={"stride": stride, "padding": pad, "output_padding": opad, "dilation": dil,
                            "groups": groups},
                    **tol(out, cin * k))
    return gw


# ================================================================================ pool
def make_pool(outdir: str) -> GoldenWriter:
    gw = GoldenWriter(os.path.join(outdir, "pool.gguf"), GENERATOR)
    for name, op, xs, k, s, p, cip in (
        ("avg_pool2d_k2", "avg_pool2d", (1, 5, 8, 10), (2, 2), (2, 2), (0, 0), True),
        ("avg_pool2d_k3_p1", "avg_pool2d", (2, 3, 9, 7), (3, 3), (2, 2), (1, 1), True),
        ("avg_pool2d_k3_p1_excl", "avg_pool2d", (1, 3, 9, 7), (3, 3), (2, 2), (1, 1), False),
        ("max_pool2d_k3_s2_p1", "max_pool2d", (2, 3, 9, 9), (3, 3), (2, 2), (1, 1), True),
        ("max_pool2d_k2", "max_pool2d", (1, 4, 6, 8), (2, 2), (2, 2), (0, 0), True),
    ):
        rng = rng_for(name)
        x = randn(rng, *xs)
        if op == "avg_pool2d":
            out = f32(F.avg_pool2d(d(x), k, s, p, count_include_pad=cip))
            tol = dict(tol_nmse=1e-13, tol_max_abs=tol_abs(out, 1e-6))
        else:
            out = f32(F.max_pool2d(d(x), k, s, p))
            tol = dict(tol_nmse=0.0, tol_max_abs=0.0)
        gw.add_case(name, op, [x], out, params={"kernel": list(k), "stride": list(s), "padding": list(p),
                                                "count_include_pad": int(cip)}, **tol)

    for name, op, xs, k, s, p in (
        ("avg_pool1d_k3_s2_p1", "avg_pool1d", (2, 4, 13), 3, 2, 1),
        ("max_pool1d_k2", "max_pool1d", (1, 3, 10), 2, 2, 0),
    ):
        rng = rng_for(name)
        x = randn(rng, *xs)
        if op == "avg_pool1d":
            out = f32(F.avg_pool1d(d(x), k, s, p, count_include_pad=True))
            tol = dict(tol_nmse=1e-13, tol_max_abs=tol_abs(out, 1e-6))
        else:
            out = f32(F.max_pool1d(d(x), k, s, p))
            tol = dict(tol_nmse=0.0, tol_max_abs=0.0)
        gw.add_case(name, op, [x], out, params={"kernel": k, "stride": s, "padding": p, "count_include_pad": 1},
                    **tol)

    for name, xs, sc in (("upsample_nearest2x", (1, 4, 5, 6), (2, 2)), ("upsample_nearest_h2w3", (2, 2, 3, 4), (2, 3))):
        rng = rng_for(name)
        x = randn(rng, *xs)
        out = f32(F.interpolate(d(x), scale_factor=sc, mode="nearest"))
        gw.add_case(name, "upsample_nearest2d", [x], out, params={"scale": list(sc)}, tol_nmse=0.0, tol_max_abs=0.0)
    return gw


# ================================================================================ attention
def make_attention(outdir: str) -> GoldenWriter:
    gw = GoldenWriter(os.path.join(outdir, "attention.gguf"), GENERATOR)

    def case(name, b, h, hkv, sq, sk, dh, dv=None, causal=False, pad_keys=0, scale=None):
        dv = dv or dh
        rng = rng_for(name)
        q, k, v = randn(rng, b, h, sq, dh), randn(rng, b, hkv, sk, dh), randn(rng, b, hkv, sk, dv)
        kd, vd = d(k), d(v)
        if hkv != h:  # grouped-query attention as HF repeat_kv does it
            kd, vd = kd.repeat_interleave(h // hkv, dim=1), vd.repeat_interleave(h // hkv, dim=1)
        kv_offset = sk - sq
        mask = np.zeros((b, h, sq, sk), dtype=np.float32)
        if pad_keys:  # batch element bi has its last pad_keys*(bi+1) keys padded out
            for bi in range(b):
                mask[bi, :, :, sk - pad_keys * (bi + 1):] = -np.inf
        add = d(mask)
        if causal:  # bottom-right aligned (queries are the last sq positions)
            add = add + d(causal_mask(sq, sk))[None, None]
        sc = scale if scale is not None else 1.0 / math.sqrt(dh)
        out = f32(F.scaled_dot_product_attention(d(q), kd, vd, attn_mask=add, scale=sc))
        ins = [q, k, v] + ([mask] if pad_keys else [])
        params = {"scale": float(sc), "causal": int(causal)}
        if causal:
            params["kv_offset"] = kv_offset
        gw.add_case(name, "attention", ins, out, params=params,
                    tol_nmse=1e-11, tol_max_abs=tol_abs(out, 4e-6))

    case("sdpa_causal", 1, 4, 4, 6, 6, 16, causal=True)
    case("sdpa_gqa", 1, 8, 2, 5, 5, 16, causal=True)
    case("sdpa_padmask", 2, 3, 3, 4, 7, 8, pad_keys=2)
    case("sdpa_cross", 1, 4, 4, 8, 5, 16)
    case("sdpa_kvcache", 1, 4, 2, 3, 9, 32, causal=True)
    case("sdpa_long", 1, 2, 2, 70, 70, 64, causal=True, scale=0.1)
    return gw


# ================================================================================ misc
def make_misc(outdir: str) -> GoldenWriter:
    gw = GoldenWriter(os.path.join(outdir, "misc.gguf"), GENERATOR)

    rng = rng_for("get_rows")
    table = randn(rng, 50, 32)
    ids = np.array([3, 0, 49, 3, 17, 8, 25], dtype=np.int32)
    gw.add_case("get_rows", "get_rows", [table, ids], table[ids], tol_nmse=0.0, tol_max_abs=0.0)

    rng = rng_for("get_rows_f16")
    table16 = randn(rng, 40, 24).astype(np.float16)
    ids = np.array([39, 1, 1, 0, 12], dtype=np.int32)
    gw.add_case("get_rows_f16", "get_rows", [table16, ids], table16.astype(np.float32)[ids],
                dtypes=[np.float16, np.int32], tol_nmse=0.0, tol_max_abs=0.0)

    for name, sa, sb, dim in (("concat_dim1", (2, 3, 4), (2, 5, 4), 1), ("concat_last", (3, 4), (3, 2), 1),
                              ("concat_dim0", (2, 3, 4), (1, 3, 4), 0)):
        rng = rng_for(name)
        a, b = randn(rng, *sa), randn(rng, *sb)
        out = f32(torch.cat([d(a), d(b)], dim=dim))
        gw.add_case(name, "concat", [a, b], out, params={"dim": dim}, tol_nmse=0.0, tol_max_abs=0.0)
    return gw


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "tests", "golden", "ops")
    outdir = os.path.normpath(outdir)
    total = 0
    for make in (make_linear, make_elementwise, make_norm, make_softmax, make_rope, make_conv, make_pool,
                 make_attention, make_misc):
        gw = make(outdir)
        gw.write()
        size = os.path.getsize(gw.path)
        total += size
        print(f"make_golden_ops: {os.path.relpath(gw.path)}: {len(gw.cases)} cases, {size} bytes")
    print(f"make_golden_ops: total {total} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
