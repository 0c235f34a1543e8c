#!/usr/bin/env python3
"""Golden references for `any2any convert --nextgpt` (src/pipeline/nextgpt_convert.c,
src/models/llm/lora_merge.c).

Upstream (NExT-GPT/NExT-GPT, folder NExT-GPT-Lagacy/code/):
  model/anyToImageVideoAudio.py   NextGPTModel.__init__: LlamaForCausalLM wrapped by peft
                                  get_peft_model(LoraConfig(r, lora_alpha, target_modules=
                                  [q_proj, k_proj, v_proj, o_proj])) in stage 3; then
                                  _add_image_token ("<Img>", "</Img>", "[IMG0]".."[IMG3]"),
                                  _add_video_token ("[VID0]".."[VID23]"), _add_audio_token
                                  ("[AUD0]".."[AUD7]") and resize_token_embeddings(len(tokenizer)):
                                  a new, trainable embedding and lm_head; llama_proj;
                                  gen_text_hidden_fcs / _video / _audio (TextFcLayer)
  model/agent.py save_model       torch.save of every named parameter with requires_grad (the
                                  LoRA A/B, the WHOLE resized embed_tokens and lm_head,
                                  llama_proj, the output projectors) -> pytorch_model.pt
  config/base.yaml, stage_3.yaml  4/24/8 signal tokens; lora_r 32, lora_alpha 32
Names of a peft (>= 0.3, NExT-GPT pins 0.3.0) model under NextGPTModel:
  llama_model.base_model.model.model.embed_tokens.weight
  llama_model.base_model.model.model.layers.N.self_attn.q_proj.lora_A.default.weight  [r, in]
  llama_model.base_model.model.model.layers.N.self_attn.q_proj.lora_B.default.weight  [out, r]
  llama_model.base_model.model.lm_head.weight
peft's LoRA forward at inference is W x + (alpha / r) B A x, i.e. the merged weight
W + (alpha / r) B A: reimplemented here (peft is not in the reference venv) on a transformers
LlamaForCausalLM, which then gives the reference logits.

Sizes are tiny (hidden 32, 2 layers, 4 heads, 2 KV heads so the k permutation differs from q's,
LoRA r 4 with alpha 8 -> scale 2). The base vocabulary is the first 512 tokens of the
LLaMA SentencePiece vocabulary fixture (/work/shared/fixtures/vocab/ggml-vocab-llama-spm.gguf:
<unk> <s> </s>, the 256 byte tokens, the first merges) -- the whole 32000-token vocabulary
would make the embedding / lm_head matrices of the base file and the checkpoint 4 MB.

Files (tests/golden/nextgpt_convert/):
  base.gguf           the base LLM as a2a_llama_convert writes it (llama.cpp layout, q/k rows
                      permuted, F32) with the 512-token vocabulary
  base_narrow.gguf    the same vocabulary on a 16-wide model (checkpoint width mismatch)
  delta.pt            the delta checkpoint in NExT-GPT's layout (+ 3 tiny TextFcLayers)
  bad_*.pt            broken checkpoints (float16): missing embedding, embedding rows that do
                      not fit the added tokens, LoRA B of the wrong shape, lora_A without
                      lora_B, llama_proj of the wrong width, no llama_proj
  ref.gguf            cases "logits_*": input ids (with added tokens) -> logits of the merged,
                      resized model at every position; "lora_blk{N}_{proj}_{a,b}": the adapter
                      tensors expected in lora.gguf (ggml layout, numpy order [r, in] / [out, r],
                      B rows permuted for attn_q / attn_k)

Run with the reference venv: .venv-ref/bin/python tools/ref/make_golden_nextgpt_convert.py
"""
import collections
import copy
import os
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(__file__))
import gguf  # noqa: E402
from golden import GoldenWriter  # noqa: E402
from make_golden_llm import permute  # noqa: E402
from make_golden_textfc import TextFcTransformer, randomize  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "golden", "nextgpt_convert")
VOCAB = "/work/shared/fixtures/vocab/ggml-vocab-llama-spm.gguf"
N_BASE = 512
ADDED = ["<Img>", "</Img>"] + [f"[IMG{i}]" for i in range(4)] + [f"[VID{i}]" for i in range(24)] + [f"[AUD{i}]" for i in range(8)]
R, ALPHA = 4, 8.0
PFX = "llama_model.base_model.model."


def base_vocab():
    r = gguf.GGUFReader(VOCAB)
    f = r.fields["tokenizer.ggml.tokens"]
    toks = [bytes(f.parts[i]).decode("utf-8") for i in f.data[:N_BASE]]
    scores = [float(r.fields["tokenizer.ggml.scores"].parts[i][0]) for i in r.fields["tokenizer.ggml.scores"].data[:N_BASE]]
    types = [int(r.fields["tokenizer.ggml.token_type"].parts[i][0]) for i in r.fields["tokenizer.ggml.token_type"].data[:N_BASE]]
    return toks, scores, types


def write_base(path, cfg, sd, vocab):
    """The base LLM as a2a_llama_convert / llama.cpp's convert_hf_to_gguf.py lay it out."""
    w = gguf.GGUFWriter(path, "llama")
    w.add_name("tiny-vicuna")
    w.add_context_length(cfg.max_position_embeddings)
    w.add_embedding_length(cfg.hidden_size)
    w.add_block_count(cfg.num_hidden_layers)
    w.add_feed_forward_length(cfg.intermediate_size)
    w.add_head_count(cfg.num_attention_heads)
    w.add_head_count_kv(cfg.num_key_value_heads)
    w.add_rope_freq_base(float(cfg.rope_theta))
    w.add_layer_norm_rms_eps(float(cfg.rms_norm_eps))
    w.add_rope_dimension_count(cfg.hidden_size // cfg.num_attention_heads)
    w.add_vocab_size(cfg.vocab_size)
    w.add_file_type(0)
    toks, scores, types = vocab
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(toks)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)

    def t(name, a):
        w.add_tensor(name, np.ascontiguousarray(a.detach().float().numpy()))

    t("token_embd.weight", sd["model.embed_tokens.weight"])
    t("output_norm.weight", sd["model.norm.weight"])
    t("output.weight", sd["lm_head.weight"])
    for i in range(cfg.num_hidden_layers):
        p = f"model.layers.{i}."
        t(f"blk.{i}.attn_norm.weight", sd[p + "input_layernorm.weight"])
        t(f"blk.{i}.attn_q.weight", permute(sd[p + "self_attn.q_proj.weight"], cfg.num_attention_heads))
        t(f"blk.{i}.attn_k.weight", permute(sd[p + "self_attn.k_proj.weight"], cfg.num_key_value_heads))
        t(f"blk.{i}.attn_v.weight", sd[p + "self_attn.v_proj.weight"])
        t(f"blk.{i}.attn_output.weight", sd[p + "self_attn.o_proj.weight"])
        t(f"blk.{i}.ffn_norm.weight", sd[p + "post_attention_layernorm.weight"])
        t(f"blk.{i}.ffn_gate.weight", sd[p + "mlp.gate_proj.weight"])
        t(f"blk.{i}.ffn_up.weight", sd[p + "mlp.up_proj.weight"])
        t(f"blk.{i}.ffn_down.weight", sd[p + "mlp.down_proj.weight"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def tiny_llama(hidden, seed):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=N_BASE, hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64, rms_norm_eps=1e-5,
                      rope_theta=10000.0, tie_word_embeddings=False, attn_implementation="eager")
    model = LlamaForCausalLM(cfg).eval()
    with torch.no_grad():  # widen the tiny default init (as make_golden_llm.py does)
        for n, p in model.named_parameters():
            if "norm" in n:
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            else:
                p.copy_(torch.randn_like(p) / (p.shape[-1] ** 0.5))
    return cfg, model


def par(t, half=False):
    """agent.save_model stores the Parameters themselves."""
    return nn.Parameter(t.detach().clone().half() if half else t.detach().clone(), requires_grad=t.requires_grad)


def main():
    os.makedirs(OUT, exist_ok=True)
    vocab = base_vocab()
    cfg, base = tiny_llama(32, 4321)
    write_base(os.path.join(OUT, "base.gguf"), cfg, base.state_dict(), vocab)
    cfg_n, narrow = tiny_llama(16, 4322)
    write_base(os.path.join(OUT, "base_narrow.gguf"), cfg_n, narrow.state_dict(), vocab)

    # ---- stage-3 training result: LoRA on q/k/v/o, resized + trained embeddings, projectors
    g = torch.Generator().manual_seed(7)
    lora = collections.OrderedDict()  # module name -> (A [r, in], B [out, r])
    for i in range(cfg.num_hidden_layers):
        attn = base.model.layers[i].self_attn
        for proj in ("q_proj", "k_proj", "v_proj", "o_proj"):
            lin = getattr(attn, proj)
            a = torch.randn(R, lin.in_features, generator=g) / (lin.in_features ** 0.5)
            b = 0.5 * torch.randn(lin.out_features, R, generator=g) / (R ** 0.5)
            lora[f"model.layers.{i}.self_attn.{proj}"] = (a, b)
    n_total = N_BASE + len(ADDED)
    emb = torch.cat([base.model.embed_tokens.weight.detach(), torch.zeros(len(ADDED), cfg.hidden_size)])
    head = torch.cat([base.lm_head.weight.detach(), torch.zeros(len(ADDED), cfg.hidden_size)])
    # every row is trainable after resize_token_embeddings: old rows move a little, new rows are new
    emb[:N_BASE] += 0.05 * torch.randn(N_BASE, cfg.hidden_size, generator=g)
    emb[N_BASE:] = torch.randn(len(ADDED), cfg.hidden_size, generator=g) / (cfg.hidden_size ** 0.5)
    head[:N_BASE] += 0.05 * torch.randn(N_BASE, cfg.hidden_size, generator=g)
    head[N_BASE:] = torch.randn(len(ADDED), cfg.hidden_size, generator=g) / (cfg.hidden_size ** 0.5)

    # the merged model (what the bundle must compute): W + (alpha / r) B A, resized vocabulary
    merged = copy.deepcopy(base)
    merged.resize_token_embeddings(n_total)
    with torch.no_grad():
        for name, (a, b) in lora.items():
            lin = merged.get_submodule(name)
            lin.weight += (ALPHA / R) * (b @ a)
        merged.model.embed_tokens.weight.copy_(emb)
        merged.lm_head.weight.copy_(head)

    llama_proj = nn.Linear(16, cfg.hidden_size)
    torch.manual_seed(8)
    fcs = {"": TextFcTransformer(cfg.hidden_size, 24, 5, hidden_dim=16, nhead=4, n_enc=1, n_dec=1),
           "_video": TextFcTransformer(cfg.hidden_size, 20, 7, hidden_dim=16, nhead=4, n_enc=1, n_dec=1),
           "_audio": TextFcTransformer(cfg.hidden_size, 12, 1, hidden_dim=16, nhead=4, n_enc=1, n_dec=1)}
    for m in fcs.values():
        randomize(m)

    def delta(half=False, drop=(), replace=None, lora_ok=True):
        """NextGPTModel.named_parameters() order: the LLM (embedding, per layer q/k/v/o LoRA
        A then B, lm_head), llama_proj, the output projector ModuleLists."""
        ck = collections.OrderedDict()
        ck[PFX + "model.embed_tokens.weight"] = emb
        for name, (a, b) in lora.items():
            ck[PFX + name + ".lora_A.default.weight"] = a
            ck[PFX + name + ".lora_B.default.weight"] = b
        ck[PFX + "lm_head.weight"] = head
        for k, v in llama_proj.named_parameters():
            ck["llama_proj." + k] = v
        for suffix, m in fcs.items():
            for k, v in m.named_parameters():
                ck[f"gen_text_hidden_fcs{suffix}.0.{k}"] = v
        for k, v in (replace or {}).items():
            ck[k] = v
        return collections.OrderedDict((k, par(v, half)) for k, v in ck.items() if k not in drop)

    torch.save(delta(), os.path.join(OUT, "delta.pt"))
    fc_keys = [k for k in delta() if k.startswith("gen_text_hidden_fcs")]
    small = tuple(fc_keys)  # bad files fail before the output projectors: leave them out
    torch.save(delta(half=True, drop=(PFX + "model.embed_tokens.weight",) + small), os.path.join(OUT, "bad_noembed.pt"))
    torch.save(delta(half=True, drop=small, replace={PFX + "model.embed_tokens.weight": emb[:-1]}),
               os.path.join(OUT, "bad_rows.pt"))
    kb = PFX + "model.layers.1.self_attn.k_proj.lora_B.default.weight"
    torch.save(delta(half=True, drop=small, replace={kb: torch.randn(cfg.hidden_size, R)}), os.path.join(OUT, "bad_lora.pt"))
    torch.save(delta(half=True, drop=(kb,) + small), os.path.join(OUT, "bad_lora_half.pt"))
    torch.save(delta(half=True, drop=small, replace={"llama_proj.weight": torch.randn(24, 16)}), os.path.join(OUT, "bad_proj.pt"))
    torch.save(delta(half=True, drop=("llama_proj.weight", "llama_proj.bias") + small), os.path.join(OUT, "bad_noproj.pt"))

    gw = GoldenWriter(os.path.join(OUT, "ref.gguf"), generator="tools/ref/make_golden_nextgpt_convert.py",
                      compute="transformers %s LlamaForCausalLM float32 eager, LoRA merged as W + alpha/r B A"
                      % __import__("transformers").__version__)
    ids_sig = [1, N_BASE, 29, N_BASE + 1, 100, N_BASE + 2, N_BASE + 3, N_BASE + 4, N_BASE + 5, 300, N_BASE + 6,
               N_BASE + 29, N_BASE + 30, N_BASE + 37, 2]
    gr = torch.Generator().manual_seed(3)
    cases = {"logits_signal": torch.tensor([ids_sig]),
             "logits_random": torch.randint(0, n_total, (1, 20), generator=gr),
             "logits_one": torch.tensor([[N_BASE + 2]])}
    for name, ids in cases.items():
        with torch.no_grad():
            lg = merged(ids).logits[0]
        gw.add_case(name, "nextgpt_logits", [ids[0].numpy().astype(np.int32)], lg.numpy(), params={},
                    tol_nmse=1e-8, tol_max_abs=1e-3)
    gguf_proj = {"q_proj": "attn_q", "k_proj": "attn_k", "v_proj": "attn_v", "o_proj": "attn_output"}
    for name, (a, b) in lora.items():
        layer, proj = int(name.split(".")[2]), name.split(".")[-1]
        heads = {"q_proj": cfg.num_attention_heads, "k_proj": cfg.num_key_value_heads}.get(proj)
        bp = permute(b, heads) if heads else b
        tag = f"lora_blk{layer}_{gguf_proj[proj]}"
        gw.add_case(tag + "_a", "lora_a", [], a.numpy(), params={}, tol_nmse=0.0, tol_max_abs=0.0)
        gw.add_case(tag + "_b", "lora_b", [], bp.numpy(), params={}, tol_nmse=0.0, tol_max_abs=0.0)
    gw.write()
    for f in os.listdir(OUT):
        os.chmod(os.path.join(OUT, f), 0o644)
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"nextgpt_convert: {len(gw.cases)} cases, {total / 1024:.0f} KiB in {OUT}")
    for f in sorted(os.listdir(OUT)):
        print(" ", f, os.path.getsize(os.path.join(OUT, f)))


if __name__ == "__main__":
    main()
