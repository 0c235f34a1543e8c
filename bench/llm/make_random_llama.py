#!/usr/bin/env python3
"""Write a LLaMA-architecture GGUF with random F16 weights and the real LLaMA SentencePiece
vocabulary (copied from ../shared/fixtures/vocab/ggml-vocab-llama-spm.gguf), for speed
benchmarks where no real checkpoint can be downloaded. Weight values do not change the work an
engine does per token, so timings on this file are representative of a real model of the same
shape.

usage: make_random_llama.py OUT.gguf [--shape tinyllama|7b|small]
  tinyllama: n_embd 2048, 22 layers, 32 heads (4 KV heads), n_ff 5632  (1.1B parameters)
  7b:        n_embd 4096, 32 layers, 32 heads, n_ff 11008               (Vicuna-7B / LLaMA-2-7B shape)
  small:     n_embd 512, 4 layers, 8 heads (4 KV), n_ff 1408            (quick checks)
"""
import argparse
import os

import numpy as np

import gguf

SHAPES = {
    "tinyllama": dict(n_embd=2048, n_layer=22, n_head=32, n_head_kv=4, n_ff=5632),
    "7b": dict(n_embd=4096, n_layer=32, n_head=32, n_head_kv=32, n_ff=11008),
    "small": dict(n_embd=512, n_layer=4, n_head=8, n_head_kv=4, n_ff=1408),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--shape", default="tinyllama", choices=sorted(SHAPES))
    ap.add_argument("--vocab", default=os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "fixtures", "vocab",
                                                      "ggml-vocab-llama-spm.gguf"))
    a = ap.parse_args()
    s = SHAPES[a.shape]
    rd = gguf.GGUFReader(a.vocab)
    tokens = [bytes(rd.fields["tokenizer.ggml.tokens"].parts[i]).decode("utf-8") for i in rd.fields["tokenizer.ggml.tokens"].data]
    scores = [float(rd.fields["tokenizer.ggml.scores"].parts[i][0]) for i in rd.fields["tokenizer.ggml.scores"].data]
    types = [int(rd.fields["tokenizer.ggml.token_type"].parts[i][0]) for i in rd.fields["tokenizer.ggml.token_type"].data]
    n_vocab = len(tokens)
    w = gguf.GGUFWriter(a.out, "llama")
    w.add_name(f"random-{a.shape}")
    w.add_context_length(2048)
    w.add_embedding_length(s["n_embd"])
    w.add_block_count(s["n_layer"])
    w.add_feed_forward_length(s["n_ff"])
    w.add_head_count(s["n_head"])
    w.add_head_count_kv(s["n_head_kv"])
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_freq_base(10000.0)
    w.add_rope_dimension_count(s["n_embd"] // s["n_head"])
    w.add_file_type(1)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    rng = np.random.default_rng(0)
    E, F, hd = s["n_embd"], s["n_ff"], s["n_embd"] // s["n_head"]

    def mat(rows, cols, scale=None):
        scale = scale if scale is not None else 1.0 / np.sqrt(cols)
        return (rng.standard_normal((rows, cols), dtype=np.float32) * scale).astype(np.float16)

    w.add_tensor("token_embd.weight", mat(n_vocab, E, 1.0))
    w.add_tensor("output_norm.weight", np.ones(E, dtype=np.float32))
    w.add_tensor("output.weight", mat(n_vocab, E))
    for i in range(s["n_layer"]):
        w.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(E, dtype=np.float32))
        w.add_tensor(f"blk.{i}.attn_q.weight", mat(s["n_head"] * hd, E))
        w.add_tensor(f"blk.{i}.attn_k.weight", mat(s["n_head_kv"] * hd, E))
        w.add_tensor(f"blk.{i}.attn_v.weight", mat(s["n_head_kv"] * hd, E))
        w.add_tensor(f"blk.{i}.attn_output.weight", mat(E, s["n_head"] * hd))
        w.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(E, dtype=np.float32))
        w.add_tensor(f"blk.{i}.ffn_gate.weight", mat(F, E))
        w.add_tensor(f"blk.{i}.ffn_up.weight", mat(F, E))
        w.add_tensor(f"blk.{i}.ffn_down.weight", mat(E, F))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(a.out, os.path.getsize(a.out))


if __name__ == "__main__":
    main()
