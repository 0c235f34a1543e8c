"""Shared helpers for writing golden reference files (GGUF) for the C test suite.

A golden file is one GGUF file holding a group of test cases. For a case named CASE:

  tensors   CASE.in0, CASE.in1, ...   inputs, in the order the case's op documents
            CASE.out                  the reference output
            (F32 unless the case needs another type: I32 indices/positions, F16 tables)
  metadata  CASE.op                   string: which operation (the C test dispatches on it)
            CASE.tol_nmse             f32: max normalized MSE  sum((got-ref)^2) / sum(ref^2)
            CASE.tol_max_abs          f32: max |got - ref| over all elements
            CASE.<param>              typed parameters: f32 for reals, i32 for integers,
                                      i32 arrays for per-dimension tuples (PyTorch order,
                                      e.g. conv3d stride = [sT, sH, sW]), strings for modes
  file-wide golden.generator          string: the script that wrote the file
            golden.torch_version      string
            golden.numpy_version      string
            golden.compute            string: how the references were computed

Shapes: the gguf package writes a numpy array of shape (d0, d1, ..., dn) as the GGUF/ggml
shape [dn, ..., d1, d0] (ne[0] innermost), so a PyTorch NCHW activation arrives in C as
[W, H, C, N] and a conv weight [Cout, Cin, KH, KW] as [KW, KH, Cin, Cout] -- exactly the
layouts our kernels take. Arrays are written C-contiguous.

Case names must not contain '.', and every name is unique within a file.

Usage:
    from golden import GoldenWriter
    gw = GoldenWriter("tests/golden/ops/norm.gguf", generator="tools/ref/make_golden_ops.py")
    gw.add_case("rms_norm_basic", "rms_norm", inputs=[x, w], out=y,
                params={"eps": 1e-6}, tol_nmse=1e-10, tol_max_abs=1e-5)
    gw.write()
"""

from __future__ import annotations

import os
import re
from typing import Any, Mapping, Sequence

import numpy as np

import gguf

_NAME_RE = re.compile(r"^[A-Za-z0-9_\-]+$")

# numpy dtypes a golden tensor may have (the gguf package maps them to ggml types)
_ALLOWED_DTYPES = (np.float32, np.float16, np.int32, np.int64, np.int8, np.int16)


def torch_version() -> str:
    """Version string of the installed torch, or "none" when torch is not importable."""
    try:
        import torch  # noqa: F401

        return str(torch.__version__)
    except Exception:  # pragma: no cover - torch missing
        return "none"


def as_np(t: Any, dtype: Any = np.float32) -> np.ndarray:
    """A C-contiguous numpy array of dtype from a numpy array or a torch tensor."""
    if hasattr(t, "detach"):
        t = t.detach().cpu().numpy()
    return np.ascontiguousarray(np.asarray(t), dtype=dtype)


class GoldenWriter:
    """Collects cases for one golden GGUF file and writes it.

    path:      output file (parent folders are created)
    generator: script name recorded in golden.generator (repo-relative, e.g. tools/ref/make_golden_ops.py)
    compute:   one line recorded in golden.compute (how references were computed)
    """

    def __init__(self, path: str, generator: str, compute: str = "float64 reference from float32 inputs, outputs rounded to float32"):
        self.path = path
        self.generator = generator
        self.compute = compute
        self.cases: list[str] = []
        self._tensors: list[tuple[str, np.ndarray]] = []
        self._kv: list[tuple[str, str, Any]] = []  # (key, kind, value)

    # -- cases ---------------------------------------------------------------------------
    def add_case(
        self,
        name: str,
        op: str,
        inputs: Sequence[Any],
        out: Any,
        params: Mapping[str, Any] | None = None,
        tol_nmse: float = 1e-10,
        tol_max_abs: float = 1e-5,
        dtypes: Sequence[Any] | None = None,
        out_dtype: Any = np.float32,
    ) -> None:
        """Add one case.

        inputs: arrays/tensors in op order; stored as CASE.in0..; float inputs become F32
                unless dtypes[i] says otherwise (np.float16 for F16 tables, np.int32 for
                indices). Integer numpy arrays keep int32.
        out:    reference output; stored as CASE.out with out_dtype (F32 by default).
        params: name -> value. Python float -> f32, bool -> bool, int -> i32,
                str -> string, list/tuple of ints -> i32 array, of floats -> f32 array.
        """
        if not _NAME_RE.match(name):
            raise ValueError(f"golden: bad case name {name!r} (letters, digits, _ and - only)")
        if name in self.cases:
            raise ValueError(f"golden: duplicate case {name!r}")
        self.cases.append(name)
        self._kv.append((f"{name}.op", "str", op))
        self._kv.append((f"{name}.tol_nmse", "f32", float(tol_nmse)))
        self._kv.append((f"{name}.tol_max_abs", "f32", float(tol_max_abs)))
        for k, v in (params or {}).items():
            if "." in k:
                raise ValueError(f"golden: bad param name {k!r}")
            self._kv.append((f"{name}.{k}", _kind_of(v), v))
        for i, t in enumerate(inputs):
            dt = dtypes[i] if dtypes is not None and i < len(dtypes) and dtypes[i] is not None else None
            if dt is None:
                src = t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)
                dt = np.int32 if np.issubdtype(src.dtype, np.integer) else np.float32
            self._add_tensor(f"{name}.in{i}", as_np(t, dt))
        self._add_tensor(f"{name}.out", as_np(out, out_dtype))

    def _add_tensor(self, tname: str, arr: np.ndarray) -> None:
        if arr.dtype.type not in _ALLOWED_DTYPES:
            raise ValueError(f"golden: tensor {tname}: dtype {arr.dtype} not storable")
        if arr.ndim == 0:
            arr = arr.reshape(1)
        if arr.ndim > 5:
            raise ValueError(f"golden: tensor {tname}: {arr.ndim} dims (at most 5)")
        if np.issubdtype(arr.dtype, np.floating) and np.isnan(arr).any():
            raise ValueError(f"golden: tensor {tname} holds NaN")
        self._tensors.append((tname, arr))

    # -- output --------------------------------------------------------------------------
    def nbytes(self) -> int:
        return sum(a.nbytes for _, a in self._tensors)

    def write(self) -> None:
        """Write the GGUF file (atomically: to path.tmp, then rename)."""
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        tmp = self.path + ".tmp"
        w = gguf.GGUFWriter(tmp, arch="golden")
        w.add_string("golden.generator", self.generator)
        w.add_string("golden.torch_version", torch_version())
        w.add_string("golden.numpy_version", np.__version__)
        w.add_string("golden.compute", self.compute)
        w.add_uint32("golden.n_cases", len(self.cases))
        for key, kind, v in self._kv:
            if kind == "str":
                w.add_key_value(key, str(v), gguf.GGUFValueType.STRING)
            elif kind == "f32":
                w.add_float32(key, float(v))
            elif kind == "i32":
                w.add_int32(key, int(v))
            elif kind == "bool":
                w.add_bool(key, bool(v))
            elif kind == "arr_i32":
                w.add_key_value(key, [int(x) for x in v], gguf.GGUFValueType.ARRAY, sub_type=gguf.GGUFValueType.INT32)
            elif kind == "arr_f32":
                w.add_key_value(key, [float(x) for x in v], gguf.GGUFValueType.ARRAY, sub_type=gguf.GGUFValueType.FLOAT32)
            else:  # pragma: no cover
                raise AssertionError(kind)
        for tname, arr in self._tensors:
            w.add_tensor(tname, arr)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        os.replace(tmp, self.path)
        verify(self.path, {n: a for n, a in self._tensors})


def _kind_of(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, np.integer)):
        if not -(2**31) <= int(v) < 2**31:
            raise ValueError(f"golden: int param {v} does not fit i32")
        return "i32"
    if isinstance(v, (float, np.floating)):
        return "f32"
    if isinstance(v, str):
        return "str"
    if isinstance(v, (list, tuple)) and len(v) > 0:
        if all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in v):
            return "arr_i32"
        if all(isinstance(x, (int, float, np.integer, np.floating)) for x in v):
            return "arr_f32"
    raise ValueError(f"golden: unsupported param value {v!r}")


def verify(path: str, tensors: Mapping[str, np.ndarray]) -> None:
    """Read path back with gguf.GGUFReader and check every tensor's GGUF shape is the reverse
    of the numpy shape and the bytes round-trip (guards against gguf package changes)."""
    r = gguf.GGUFReader(path)
    seen = {}
    for t in r.tensors:
        seen[t.name] = t
    for name, arr in tensors.items():
        t = seen.get(name)
        if t is None:
            raise AssertionError(f"golden: {path}: tensor {name} missing after write")
        ne = [int(x) for x in t.shape]  # GGUF order, innermost first
        if ne != list(reversed(arr.shape)):
            raise AssertionError(f"golden: {path}: {name}: GGUF shape {ne} is not reversed numpy {list(arr.shape)}")
        data = np.asarray(t.data).reshape(-1).view(np.uint8)
        if data.tobytes() != arr.tobytes():
            raise AssertionError(f"golden: {path}: {name}: data differs after write")
