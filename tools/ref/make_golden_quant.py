#!/usr/bin/env python3
"""Write golden data for tests/ops/test_quant.c into tests/golden/quant/.

Reference: the `gguf` Python package (gguf.quants), which reproduces ggml's reference
quantizers bit for bit. Run from the repository root:
    python3 -m venv .venv-quant && .venv-quant/bin/pip install gguf numpy
    .venv-ref/bin/python tools/ref/make_golden_quant.py

File format (little-endian), one file per type, <name>.bin:
    char[4] "A2AQ"; u32 ggml type id; u32 mode (1 = rows carry float input and quantized
    bytes made by gguf's quantizer, 0 = rows carry raw block bytes only, for types whose
    quantizer gguf lacks); u32 n_rows; then per row:
    u32 n; [mode 1: f32 x[n]]; u32 nbytes; u8 q[nbytes]; f32 deq[n] (gguf's dequantizer).
"""
import os
import struct
import sys

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "golden", "quant")


def float_rows(rng, blk):
    """Awkward activation/weight rows: plain, zero blocks, outliers, negative-heavy, tiny, huge."""
    rows = []
    rows.append(rng.uniform(-1, 1, 2 * blk).astype(np.float32))
    r = rng.standard_normal(4 * blk).astype(np.float32)
    r[:blk] = 0.0  # an all-zero block
    rows.append(r)
    r = rng.standard_normal(4 * blk).astype(np.float32)
    idx = rng.choice(r.size, 5, replace=False)
    r[idx] *= 100.0  # outliers
    rows.append(r)
    rows.append((-np.abs(rng.standard_normal(2 * blk)) * 3 + 0.1 * rng.standard_normal(2 * blk)).astype(np.float32))
    rows.append((rng.standard_normal(blk) * 1e-4).astype(np.float32))
    rows.append((rng.standard_normal(blk) * 300.0).astype(np.float32))
    c = np.full(blk, 0.37, dtype=np.float32)  # constant block (max == min)
    rows.append(c)
    rows.append(rng.standard_normal(8 * blk).astype(np.float32))
    return rows


def random_blocks(rng, qtype, nblocks):
    """Random block bytes with finite, moderate fp16 scale fields."""
    bs, ts = quants.GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(nblocks, ts), dtype=np.uint8)

    def put_f16(col, lo, hi):
        v = rng.uniform(lo, hi, nblocks).astype(np.float16).view(np.uint8).reshape(nblocks, 2)
        raw[:, col:col + 2] = v

    if qtype in (T.Q4_K, T.Q5_K):
        put_f16(0, 1e-4, 0.05)  # d
        put_f16(2, 1e-4, 0.05)  # dmin
    elif qtype == T.Q6_K:
        put_f16(ts - 2, -0.02, 0.02)  # d at the end
    return raw


def write(name, qtype, mode, rows):
    path = os.path.join(OUT, name + ".bin")
    with open(path, "wb") as f:
        f.write(b"A2AQ")
        f.write(struct.pack("<III", int(qtype), mode, len(rows)))
        for n, x, q, deq in rows:
            f.write(struct.pack("<I", n))
            if mode == 1:
                f.write(np.asarray(x, dtype="<f4").tobytes())
            qb = np.asarray(q, dtype=np.uint8).tobytes()
            f.write(struct.pack("<I", len(qb)))
            f.write(qb)
            f.write(np.asarray(deq, dtype="<f4").tobytes())
    return os.path.getsize(path)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240601)
    total = 0
    for name, qt in (("q4_0", T.Q4_0), ("q4_1", T.Q4_1), ("q5_0", T.Q5_0), ("q5_1", T.Q5_1), ("q8_0", T.Q8_0)):
        rows = []
        for x in float_rows(rng, 32):
            q = quants.quantize(x, qt)
            rows.append((x.size, x, q, quants.dequantize(q, qt)))
        total += write(name, qt, 1, rows)
    # BF16 narrowing incl. NaN / inf / subnormals / ties
    specials = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-40, -3e-39, 3.4e38, -3.4e38, 1.0, 1.00390625,
                         1.01171875], dtype=np.float32)
    x = np.concatenate([specials, rng.standard_normal(500).astype(np.float32),
                        rng.integers(0, 2**32, 500, dtype=np.uint64).astype(np.uint32).view(np.float32)])
    x = np.ascontiguousarray(x[: (x.size // 2) * 2])
    q = quants.quantize(x, T.BF16)
    total += write("bf16", T.BF16, 1, [(x.size, x, q, quants.dequantize(q, T.BF16))])
    # F16 (numpy's float16 rounds to nearest even)
    xf = np.concatenate([specials, (rng.standard_normal(500) * np.exp(rng.uniform(-20, 12, 500))).astype(np.float32)])
    h = xf.astype(np.float16)
    total += write("f16", T.F16, 1, [(xf.size, xf, h.view(np.uint8), h.astype(np.float32))])
    # K-quants: gguf has dequantizers only -> random blocks
    for name, qt in (("q4_K", T.Q4_K), ("q5_K", T.Q5_K), ("q6_K", T.Q6_K)):
        rows = []
        for nb in (1, 3):
            raw = random_blocks(rng, qt, nb)
            deq = quants.dequantize(raw.reshape(-1), qt)
            rows.append((256 * nb, None, raw.reshape(-1), deq))
        total += write(name, qt, 0, rows)
    print(f"wrote {total} bytes to {os.path.normpath(OUT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
