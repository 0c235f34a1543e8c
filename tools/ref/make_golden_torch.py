#!/usr/bin/env python3
"""Write the small PyTorch checkpoints under tests/golden/torch/ that tests/io/test_torch_ckpt.c reads.

Each sample NAME.EXT is written with torch.save (zip format) next to NAME.manifest, one line per
tensor the C reader must list:

    name dtype sizes strides storage_offset sum sumsq

sizes/strides are comma-separated in PyTorch order ("-" for a 0-dim tensor), strides in elements,
sum/sumsq over the tensor's elements in float64 (bools and ints as numbers). The malicious and
numpy samples have no manifest: the reader must refuse them. The malicious pickle is built by
hand from opcodes (never by pickling an object) and is never executed.

Usage: .venv-ref/bin/python tools/ref/make_golden_torch.py [outdir]
"""
import io
import os
import sys
import zipfile

import numpy as np
import torch

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "tests", "golden", "torch")


def fmt_list(xs):
    return ",".join(str(int(x)) for x in xs) if len(xs) else "-"


def flatten(obj, prefix=""):
    """Dotted names -> tensors, in the order the C reader walks them (dict order, list index)."""
    out = []
    if isinstance(obj, torch.Tensor):
        out.append((prefix or "tensor", obj))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(k, (str, int)) and not isinstance(k, bool):
                out += flatten(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            out += flatten(v, f"{prefix}.{i}" if prefix else str(i))
    return out


DTYPE_NAMES = {
    torch.float32: "float32", torch.float64: "float64", torch.float16: "float16", torch.bfloat16: "bfloat16",
    torch.int64: "int64", torch.int32: "int32", torch.int16: "int16", torch.int8: "int8", torch.uint8: "uint8",
    torch.bool: "bool",
}


def save(name, obj, tensors_root=None, **kw):
    """torch.save obj to OUT/name (kw: torch.save options) and write the manifest of the tensors
    under tensors_root (default obj)."""
    path = os.path.join(OUT, name)
    torch.save(obj, path, **kw)
    stem = os.path.splitext(name)[0]
    with open(os.path.join(OUT, stem + ".manifest"), "w") as f:
        for tname, t in flatten(obj if tensors_root is None else tensors_root):
            d = t.detach().to(torch.float64)
            f.write(f"{tname} {DTYPE_NAMES[t.dtype]} {fmt_list(t.shape)} {fmt_list(t.stride())} {t.storage_offset()} "
                    f"{float(d.sum()):.17g} {float((d * d).sum()):.17g}\n")
    print(f"{path}: {os.path.getsize(path)} bytes")


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 3)
        self.norm = torch.nn.LayerNorm(3)
        self.conv = torch.nn.Conv2d(2, 3, 3)


def torch_like_zip(path, prefix, pkl, storages=()):
    """A zip laid out like torch.save's (stored entries) around hand-made pickle bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr(f"{prefix}/data.pkl", pkl)
        z.writestr(f"{prefix}/byteorder", b"little")
        for key, data in storages:
            z.writestr(f"{prefix}/data/{key}", data)
        z.writestr(f"{prefix}/version", b"3\n")
    print(f"{path}: {os.path.getsize(path)} bytes")


def malicious_pickle():
    """Protocol-2 opcodes equivalent to a class whose __reduce__ returns (os.system, ("echo pwned",)).
    Built byte by byte; never unpickled here."""
    p = io.BytesIO()
    p.write(b"\x80\x02")                      # PROTO 2
    p.write(b"}q\x00")                        # EMPTY_DICT, BINPUT 0
    p.write(b"X\x06\x00\x00\x00weightq\x01")  # key 'weight'
    p.write(b"cos\nsystem\nq\x02")            # GLOBAL os.system
    cmd = b"echo pwned"
    p.write(b"X" + len(cmd).to_bytes(4, "little") + cmd)
    p.write(b"\x85q\x03")                     # TUPLE1
    p.write(b"R")                             # REDUCE -> would call os.system
    p.write(b"s.")                            # SETITEM, STOP
    return p.getvalue()


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)

    # 1. plain state_dict of a tiny module (f32)
    save("plain.pt", Tiny().state_dict())

    # 2. mixed dtypes
    g = torch.Generator().manual_seed(1)
    mixed = {
        "f16": torch.randn(3, 5, generator=g).to(torch.float16),
        "bf16": torch.randn(4, 2, generator=g).to(torch.bfloat16),
        "f64": torch.randn(3, generator=g).to(torch.float64),
        "i64": torch.arange(-5, 7, dtype=torch.int64).reshape(3, 4),
        "i32": torch.tensor([1, -2, 300000], dtype=torch.int32),
        "i16": torch.tensor([-7, 8], dtype=torch.int16),
        "i8": torch.tensor([-128, 5, 127], dtype=torch.int8),
        "u8": torch.tensor([0, 200, 255], dtype=torch.uint8),
        "mask": torch.tensor([[True, False, True], [False, False, True]]),
    }
    save("mixed.pt", mixed)

    # 3. views: transposed, shared storage with offsets, 0-dim, empty, 5-dim
    base = torch.arange(40, dtype=torch.float32) * 0.5
    m = torch.randn(3, 4, generator=g)
    views = {
        "transposed": m.t(),                      # strides (1, 4)
        "first": base[2:8],                       # offset 2
        "second": base[10:22].view(3, 4),         # offset 10, same storage
        "strided": base[1:40:3],                  # stride 3
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 3),
        "five": torch.arange(32, dtype=torch.float32).reshape(2, 2, 2, 2, 2),
        "permuted": torch.arange(24, dtype=torch.float32).reshape(2, 3, 4).permute(2, 0, 1),
    }
    save("views.pt", views)

    # 4. a Lightning-style checkpoint: state_dict plus training values and optimizer state
    tiny = Tiny()
    opt_state = {"state": {0: {"step": torch.tensor(10.0), "exp_avg": torch.ones(3, 4)}},
                 "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0]}]}
    ckpt = {"epoch": 3, "global_step": 120, "lr": 0.1, "state_dict": tiny.state_dict(),
            "optimizer_states": [opt_state], "hparams": {"name": "tiny", "use_bias": True, "dropout": None}}
    save("lightning.ckpt", ckpt, tensors_root=ckpt["state_dict"])

    # 5. nested dicts and lists, integer keys
    nested = {"encoder": {"layers": [{"w": torch.randn(2, 2, generator=g)}, {"w": torch.randn(2, 2, generator=g)}],
                          "proj": {7: torch.randn(3, generator=g)}},
              "head": {"bias": torch.zeros(2)}, "note": "hello",
              "param": torch.nn.Parameter(torch.arange(4, dtype=torch.float32))}  # _rebuild_parameter
    save("nested.pth", nested)

    # 5b. pickle protocol 4 (FRAME, MEMOIZE, SHORT_BINUNICODE, ...) as torch.save(pickle_protocol=4) writes
    save("proto4.pt", {"w": torch.randn(2, 3, generator=g), "half": torch.ones(4, dtype=torch.float16),
                       "meta": {"k": 7}}, pickle_protocol=4)

    # 6. malicious pickle inside a valid torch-like zip
    torch_like_zip(os.path.join(OUT, "malicious.pt"), "malicious", malicious_pickle())

    # 7. a numpy global (as some Lightning checkpoints have)
    torch.save({"state_dict": {"w": torch.ones(2)}, "best_score": np.float64(0.75)}, os.path.join(OUT, "numpy.ckpt"))
    print(os.path.join(OUT, "numpy.ckpt"))


if __name__ == "__main__":
    main()
