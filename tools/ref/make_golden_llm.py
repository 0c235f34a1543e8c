#!/usr/bin/env python3
"""Golden references for the LLaMA-family LLM (src/models/llm/llama.c).

For each tiny model (random weights, fixed seed) built from the upstream `transformers`
classes (LlamaForCausalLM with grouped-query attention; Qwen2ForCausalLM with q/k/v biases):
  tests/golden/llm/<name>.gguf       the model, laid out exactly as llama.cpp's
                                      convert_hf_to_gguf.py lays it out (tensor names, metadata
                                      keys, the q/k row permutation for llama) -- F32, plus a
                                      Q8_0 copy of the llama model
  tests/golden/llm/<name>.ref.gguf   golden cases: input ids -> logits at every position and
                                      the last-layer hidden states (after the final norm, as
                                      HF's hidden_states[-1])
Run with the reference venv: .venv-ref/bin/python tools/ref/make_golden_llm.py
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import gguf  # noqa: E402
from golden import GoldenWriter  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "golden", "llm")


def permute(w, n_head):
    """llama.cpp's convert_hf_to_gguf permutation of q/k rows (HF rotate-half -> interleaved pairs)."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def write_model(path, arch, cfg, sd, qtype=None):
    w = gguf.GGUFWriter(path, arch)
    w.add_context_length(cfg.max_position_embeddings)
    w.add_embedding_length(cfg.hidden_size)
    w.add_block_count(cfg.num_hidden_layers)
    w.add_feed_forward_length(cfg.intermediate_size)
    w.add_head_count(cfg.num_attention_heads)
    w.add_head_count_kv(cfg.num_key_value_heads)
    w.add_rope_freq_base(float(cfg.rope_theta))
    w.add_layer_norm_rms_eps(float(cfg.rms_norm_eps))
    w.add_rope_dimension_count(cfg.hidden_size // cfg.num_attention_heads)
    w.add_file_type(0 if qtype is None else 7)
    H, Hkv = cfg.num_attention_heads, cfg.num_key_value_heads

    def t(name, arr, quant=True):
        arr = np.ascontiguousarray(arr.detach().float().numpy())
        if qtype is not None and quant and arr.ndim == 2:
            q = gguf.quants.quantize(arr, qtype)
            w.add_tensor(name, q, raw_shape=q.shape, raw_dtype=qtype)
        else:
            w.add_tensor(name, arr)

    t("token_embd.weight", sd["model.embed_tokens.weight"])
    t("output_norm.weight", sd["model.norm.weight"])
    if not cfg.tie_word_embeddings:  # tied: llama.cpp files have no output.weight
        t("output.weight", sd["lm_head.weight"])
    for i in range(cfg.num_hidden_layers):
        p = f"model.layers.{i}."
        q, k = sd[p + "self_attn.q_proj.weight"], sd[p + "self_attn.k_proj.weight"]
        if arch == "llama":
            q, k = permute(q, H), permute(k, Hkv)
        t(f"blk.{i}.attn_norm.weight", sd[p + "input_layernorm.weight"])
        t(f"blk.{i}.attn_q.weight", q)
        t(f"blk.{i}.attn_k.weight", k)
        t(f"blk.{i}.attn_v.weight", sd[p + "self_attn.v_proj.weight"])
        t(f"blk.{i}.attn_output.weight", sd[p + "self_attn.o_proj.weight"])
        if arch == "qwen2":
            t(f"blk.{i}.attn_q.bias", sd[p + "self_attn.q_proj.bias"])
            t(f"blk.{i}.attn_k.bias", sd[p + "self_attn.k_proj.bias"])
            t(f"blk.{i}.attn_v.bias", sd[p + "self_attn.v_proj.bias"])
        t(f"blk.{i}.ffn_norm.weight", sd[p + "post_attention_layernorm.weight"])
        t(f"blk.{i}.ffn_gate.weight", sd[p + "mlp.gate_proj.weight"])
        t(f"blk.{i}.ffn_up.weight", sd[p + "mlp.up_proj.weight"])
        t(f"blk.{i}.ffn_down.weight", sd[p + "mlp.down_proj.weight"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def make(name, arch, model_cls, cfg_cls, tied=False, **kw):
    torch.manual_seed(1234)
    cfg = cfg_cls(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, max_position_embeddings=128, tie_word_embeddings=tied,
                  attn_implementation="eager", **kw)
    model = model_cls(cfg).eval()
    # random init is tiny (std 0.02); widen so the test exercises real dynamic range
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "norm" in n:
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            elif "bias" in n:
                p.copy_(0.1 * torch.randn_like(p))
            else:
                p.copy_(torch.randn_like(p) / (p.shape[-1] ** 0.5))
    sd = model.state_dict()
    write_model(os.path.join(OUT, f"{name}.gguf"), arch, cfg, sd)
    if arch == "llama":
        write_model(os.path.join(OUT, f"{name}-q8_0.gguf"), arch, cfg, sd, qtype=gguf.GGMLQuantizationType.Q8_0)
    gw = GoldenWriter(os.path.join(OUT, f"{name}.ref.gguf"), generator="tools/ref/make_golden_llm.py",
                      compute="transformers %s float32, eager attention" % __import__("transformers").__version__)
    g = torch.Generator().manual_seed(99)
    for case, n in (("prompt13", 13), ("prompt1", 1), ("prompt40", 40)):
        ids = torch.randint(0, cfg.vocab_size, (1, n), generator=g)
        with torch.no_grad():
            out = model(ids, output_hidden_states=True)
        logits = out.logits[0]            # [n, vocab]
        hidden = out.hidden_states[-1][0]  # [n, hidden] after the final norm
        gw.add_case(case, "llm_logits", inputs=[ids[0].numpy().astype(np.int32)], out=logits.numpy(),
                    params={}, tol_nmse=1e-9, tol_max_abs=1e-3)
        gw.add_case(case + "_hidden", "llm_hidden", inputs=[ids[0].numpy().astype(np.int32)], out=hidden.numpy(),
                    params={}, tol_nmse=1e-9, tol_max_abs=1e-3)
        # greedy continuation, token for token (no EOS in these models' config: exactly 12 new tokens)
        with torch.no_grad():
            gen = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=12, do_sample=False,
                                 eos_token_id=None, pad_token_id=0)
        cont = gen[0, n:].numpy().astype(np.int32)
        gw.add_case(case + "_greedy", "llm_greedy", inputs=[ids[0].numpy().astype(np.int32)], out=cont,
                    params={}, tol_nmse=0.0, tol_max_abs=0.0)
    gw.write()


if __name__ == "__main__":
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    os.makedirs(OUT, exist_ok=True)
    make("tiny-llama", "llama", LlamaForCausalLM, LlamaConfig, rms_norm_eps=1e-5, rope_theta=10000.0)
    make("tiny-qwen2", "qwen2", Qwen2ForCausalLM, Qwen2Config, rms_norm_eps=1e-6, rope_theta=1000000.0)
    make("tiny-qwen2-tied", "qwen2", Qwen2ForCausalLM, Qwen2Config, tied=True, rms_norm_eps=1e-6, rope_theta=1000000.0)
    for f in sorted(os.listdir(OUT)):
        print(f, os.path.getsize(os.path.join(OUT, f)))
