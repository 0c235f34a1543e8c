#!/usr/bin/env python3
"""Write the small reference files used by tests/io (committed under tests/golden/io/).

  py_sample.gguf         written by the `gguf` package (llama.cpp's gguf-py)
  py_sample.safetensors  written by the `safetensors` package (numpy backend)

Setup:  python3 -m venv .venv-io && .venv-io/bin/pip install gguf safetensors numpy
Run:    .venv-ref/bin/python tools/ref/make_golden_io.py [out_dir]
The values written here are checked by tests/io/test_gguf.c and tests/io/test_safetensors.c;
change both together.
"""
import os
import sys

import numpy as np


def make_gguf(path):
    import gguf

    w = gguf.GGUFWriter(path, "llama")
    w.add_block_count(2)
    w.add_context_length(128)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_bool("sample.flag", True)
    w.add_string("sample.note", 'quote " and newline \n and \u2581 utf-8')
    w.add_array("sample.ints", [1, -2, 3])
    w.add_token_list(["<unk>", "<s>", "hi", "\u2581the"])
    w.add_token_scores([0.0, -1.0, -2.5, -3.0])
    # numpy shape (5, 8) -> ggml ne [8, 5]
    w.add_tensor("token_embd.weight", (np.arange(40, dtype=np.float32) * 0.5).reshape(5, 8))
    w.add_tensor("blk.0.ffn.weight", np.arange(96, dtype=np.float16).reshape(2, 3, 16))
    w.add_tensor("blk.0.ids", np.arange(7, dtype=np.int32) - 3)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def make_safetensors(path):
    from safetensors.numpy import save_file

    tensors = {
        "model.embed.weight": (np.arange(24, dtype=np.float32) * 0.25).reshape(4, 6),
        "model.layers.0.w": np.arange(60, dtype=np.float16).reshape(3, 4, 5),
        "model.layers.0.b": np.array([1.5, -2.0], dtype=np.float64),
        "model.ids": np.arange(5, dtype=np.int64) - 2,
        "model.i32": np.array([7, -7, 70000], dtype=np.int32),
        "model.i16": np.array([-300, 300], dtype=np.int16),
        "model.i8": np.array([-5, 5, 127], dtype=np.int8),
        "model.scalar": np.array(3.0, dtype=np.float32),
        "model.mask": np.array([True, False, True]),
        "model.u8": np.arange(6, dtype=np.uint8).reshape(2, 3),
        "model.empty": np.zeros((0, 4), dtype=np.float32),
    }
    save_file(tensors, path, metadata={"format": "pt", "note": "made by make_io_samples.py"})


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "tests", "golden", "io")
    os.makedirs(out, exist_ok=True)
    make_gguf(os.path.join(out, "py_sample.gguf"))
    make_safetensors(os.path.join(out, "py_sample.safetensors"))
    for name in ("py_sample.gguf", "py_sample.safetensors"):
        print(name, os.path.getsize(os.path.join(out, name)), "bytes")


if __name__ == "__main__":
    main()
