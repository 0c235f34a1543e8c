#!/usr/bin/env python3
"""Cross-check any2any against llama.cpp on the same GGUF file: token ids of a prompt (our
tokenizer vs llama.cpp's) and the logits at every prompt position (our engine through the public
C API of build/libany2any.so via ctypes vs llama-cpp-python). Both use an F16 KV cache and Q8_0
activations for quantized weights, so the logits agree closely but not bit for bit.

usage: crosscheck_llamacpp.py MODEL.gguf [--threads 2]
Prints token agreement, the normalized MSE of the logits per position, and argmax agreement.
"""
import argparse
import ctypes as C
import os
import sys

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROMPT = ("The quick brown fox jumps over the lazy dog. A curious assistant describes pictures, sounds "
          "and videos: 3 red circles, 12 blue squares, ünïcödé and emoji 🦙 too.")


class SessionParams(C.Structure):
    _fields_ = [("n_ctx", C.c_int32), ("n_batch", C.c_int32), ("n_threads", C.c_int32), ("kv_f32", C.c_bool)]


def ours(model, threads):
    lib = C.CDLL(os.path.join(ROOT, "build", "libany2any.so"))
    lib.a2a_ctx_new.restype = C.c_void_p
    lib.a2a_last_error.restype = C.c_char_p
    lib.a2a_last_error.argtypes = [C.c_void_p]
    lib.a2a_llm_load.argtypes = [C.c_void_p, C.c_char_p, C.POINTER(C.c_void_p)]
    lib.a2a_session_default_params.restype = SessionParams
    lib.a2a_session_new.argtypes = [C.c_void_p, C.c_void_p, C.POINTER(SessionParams), C.POINTER(C.c_void_p)]
    lib.a2a_llm_tokenize.argtypes = [C.c_void_p, C.c_void_p, C.c_char_p, C.c_size_t, C.c_bool, C.c_bool,
                                     C.POINTER(C.POINTER(C.c_int32)), C.POINTER(C.c_size_t)]
    lib.a2a_session_decode.argtypes = [C.c_void_p, C.c_void_p, C.POINTER(C.c_int32), C.c_void_p, C.c_void_p, C.c_int32,
                                       C.POINTER(C.c_uint8)]
    lib.a2a_session_logits.restype = C.POINTER(C.c_float)
    lib.a2a_session_logits.argtypes = [C.c_void_p, C.c_int32]
    lib.a2a_llm_n_vocab.argtypes = [C.c_void_p]
    ctx = lib.a2a_ctx_new()
    m = C.c_void_p()
    if lib.a2a_llm_load(ctx, model.encode(), C.byref(m)) != 0:
        sys.exit("any2any: " + lib.a2a_last_error(ctx).decode())
    p = lib.a2a_session_default_params()
    p.n_ctx, p.n_threads = 512, threads
    s = C.c_void_p()
    if lib.a2a_session_new(ctx, m, C.byref(p), C.byref(s)) != 0:
        sys.exit("any2any: " + lib.a2a_last_error(ctx).decode())
    ids = C.POINTER(C.c_int32)()
    n = C.c_size_t()
    text = PROMPT.encode()
    if lib.a2a_llm_tokenize(ctx, m, text, len(text), True, False, C.byref(ids), C.byref(n)) != 0:
        sys.exit("any2any: " + lib.a2a_last_error(ctx).decode())
    toks = [ids[i] for i in range(n.value)]
    rows = (C.c_uint8 * n.value)(*([1] * n.value))
    if lib.a2a_session_decode(ctx, s, ids, None, None, n.value, rows) != 0:
        sys.exit("any2any: " + lib.a2a_last_error(ctx).decode())
    V = lib.a2a_llm_n_vocab(m)
    logits = np.stack([np.ctypeslib.as_array(lib.a2a_session_logits(s, i), shape=(V,)).copy() for i in range(n.value)])
    return toks, logits


def llamacpp(model, threads):
    import llama_cpp
    llm = llama_cpp.Llama(model_path=model, n_ctx=512, n_threads=threads, n_threads_batch=threads, logits_all=True,
                          verbose=False)
    toks = llm.tokenize(PROMPT.encode(), add_bos=True)
    llm.eval(toks)
    return toks, np.array(llm.scores[: len(toks)], dtype=np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    t_ours, l_ours = ours(a.model, a.threads)
    t_ref, l_ref = llamacpp(a.model, a.threads)
    print(f"tokens: any2any {len(t_ours)}, llama.cpp {len(t_ref)}, identical: {t_ours == list(t_ref)}")
    if t_ours != list(t_ref):
        print("  any2any  :", t_ours)
        print("  llama.cpp:", list(t_ref))
        sys.exit(1)
    nmse = ((l_ours - l_ref) ** 2).sum(1) / (l_ref ** 2).sum(1)
    agree = (l_ours.argmax(1) == l_ref.argmax(1)).mean()
    print(f"logits nmse per position: max {nmse.max():.3g}, mean {nmse.mean():.3g}; argmax agreement {100 * agree:.1f}%")


if __name__ == "__main__":
    main()
