#!/usr/bin/env python3
"""Golden references for transformers' CLIPTextModel / CLIPTextModelWithProjection
(src/models/text_encoders/clip_text.c), the text encoder of SD 1.x / SD 2.x / Zeroscope.

Three tiny models (random weights, fixed seeds; vocab 1000, hidden 32, 4 heads, intermediate
64, 77 positions) built from the upstream classes and saved with save_pretrained, laid out as
a diffusers pipeline's folders (text_encoder/ + tokenizer/):
  tests/golden/clip_text/sd1/   CLIPTextModel, 2 layers, quick_gelu, eos_token_id 2 (as SD 1.5's
                                config: pooled = argmax of ids), model.safetensors (F32);
                                tokenizer/ padding with <|endoftext|> (SD 1.x)
  tests/golden/clip_text/sd2/   CLIPTextModel, 3 layers, gelu, eos_token_id 2 (as SD 2.x's),
                                pytorch_model.bin (the converter's torch-zip path); tokenizer/
                                with pad_token "!" (id 0), as SD 2.x / Zeroscope
  tests/golden/clip_text/proj/  CLIPTextModelWithProjection, 2 layers, quick_gelu, projection 16,
                                eos_token_id 999 (new configs: first position of the EOS id),
                                saved as F16 safetensors (the reference runs in float32 on the
                                same F16-rounded weights); no tokenizer folder
The tokenizer (1000 tokens) is the CLIP BPE cut to its first 486 merges (from
tests/golden/clip_tok/hf_small): 256 bytes + 256 bytes</w> + 486 merges + SOT (998) + EOT (999).

tests/golden/clip_text/ref.gguf cases (op "clip_text"):
  in0 ids int32 [n_seq, 77] (ggml [77, n_seq]); in1 (optional) attention_mask int32 [n_seq, 77]
  params: model (str: sd1/sd2/proj), clip_skip (i32), output (str: "hidden" -> out [n_seq, 77, D]
  = final_layer_norm(hidden_states[-(clip_skip+1)]); "pooled" -> pooler_output, or text_embeds
  for the projection model)
op "clip_text_prompt": params model, prompt (str); in0 = CLIPTokenizer(prompt, padding=
  "max_length", max_length=77, truncation=True) ids [1, 77]; out = last_hidden_state [1, 77, D]
  (sd2's prompts with "!": its pad token, which transformers splits the text at -> id 0).
Run with the reference venv: .venv-ref/bin/python tools/ref/make_golden_clip_text.py
"""
import json
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from golden import GoldenWriter  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "golden", "clip_text")
N_MERGES = 486  # 256 + 256 + 486 + 2 = 1000 tokens
SOT, EOT = 998, 999


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def write_tokenizer(folder, pad_token):
    from transformers import CLIPTokenizer

    src = os.path.join(ROOT, "tests", "golden", "clip_tok", "hf_small", "merges.txt")
    lines = open(src, encoding="utf-8").read().strip().split("\n")[1:1 + N_MERGES]
    tmp = folder + ".tmp"
    os.makedirs(tmp, exist_ok=True)
    vocab = list(bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab]
    vocab += ["".join(m.split()) for m in lines]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    assert len(vocab) == 1000
    with open(os.path.join(tmp, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump({t: i for i, t in enumerate(vocab)}, f, ensure_ascii=False)
    with open(os.path.join(tmp, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "\n".join(lines) + "\n")
    tok = CLIPTokenizer(os.path.join(tmp, "vocab.json"), os.path.join(tmp, "merges.txt"), pad_token=pad_token)
    tok.save_pretrained(folder)
    shutil.rmtree(tmp)
    tok = CLIPTokenizer.from_pretrained(folder)
    assert tok.bos_token_id == SOT and tok.eos_token_id == EOT
    return tok


def build(seed, layers, act, eos, proj=0):
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    cfg = CLIPTextConfig(vocab_size=1000, hidden_size=32, intermediate_size=64, num_hidden_layers=layers,
                         num_attention_heads=4, max_position_embeddings=77, hidden_act=act, projection_dim=proj or 512,
                         bos_token_id=0 if eos == 2 else SOT, eos_token_id=eos, pad_token_id=1)
    torch.manual_seed(seed)
    m = (CLIPTextModelWithProjection if proj else CLIPTextModel)(cfg).eval()
    with torch.no_grad():  # default init leaves norms at 1/0 and biases at 0: perturb everything
        for name, p in m.named_parameters():
            if "norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))
            elif "embedding" in name:
                p.copy_(0.5 * torch.randn_like(p))
            else:
                p.copy_(torch.randn_like(p) / (p.shape[-1] ** 0.5))
    return m


def ids_batch(g, lens, pad):
    """[len(lens), 77]: SOT, random tokens, EOT, then pad."""
    out = np.full((len(lens), 77), pad, dtype=np.int64)
    for i, n in enumerate(lens):
        out[i, 0] = SOT
        out[i, 1:1 + n] = torch.randint(1, SOT, (n,), generator=g).numpy()
        out[i, 1 + n] = EOT
    return out


def run(m, ids, mask=None):
    with torch.no_grad():
        o = m(torch.tensor(ids), attention_mask=None if mask is None else torch.tensor(mask), output_hidden_states=True)
    return o


def add_cases(gw, m, name, tag, ids, mask=None, skips=(0, 1), tol=1e-10):
    o = run(m, ids, mask)
    ins = [ids.astype(np.int32)] + ([] if mask is None else [mask.astype(np.int32)])
    for k in skips:
        with torch.no_grad():
            h = m.text_model.final_layer_norm(o.hidden_states[-(k + 1)])
        if k == 0:
            assert torch.allclose(h, o.last_hidden_state)
        gw.add_case(f"{name}_{tag}_hidden_skip{k}", "clip_text", inputs=ins, out=h.numpy(),
                    params={"model": name, "clip_skip": k, "output": "hidden"}, tol_nmse=tol, tol_max_abs=1e-4)
    pooled = o.text_embeds if hasattr(o, "text_embeds") else o.pooler_output
    gw.add_case(f"{name}_{tag}_pooled", "clip_text", inputs=ins, out=pooled.numpy(),
                params={"model": name, "clip_skip": 0, "output": "pooled"}, tol_nmse=tol, tol_max_abs=1e-4)


def prompt_case(gw, m, tok, name, i, prompt):
    ids = tok(prompt, padding="max_length", max_length=77, truncation=True, return_tensors="np")["input_ids"]
    o = run(m, ids)
    gw.add_case(f"{name}_prompt{i}", "clip_text_prompt", inputs=[ids.astype(np.int32)], out=o.last_hidden_state.numpy(),
                params={"model": name, "prompt": prompt}, tol_nmse=1e-10, tol_max_abs=1e-4)


def main():
    import transformers

    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    gw = GoldenWriter(os.path.join(OUT, "ref.gguf"), generator="tools/ref/make_golden_clip_text.py",
                      compute=f"transformers {transformers.__version__} CLIPTextModel in float32 (default attention)")
    g = torch.Generator().manual_seed(3)
    prompts = ["a photo of an astronaut riding a horse on mars", "A  Cat!!", "",
               " ".join(["the quick brown fox jumps over the lazy dog"] * 12)]

    # SD 1.x-like: quick_gelu, EOT padding
    sd1 = build(1, 2, "quick_gelu", 2)
    sd1.save_pretrained(os.path.join(OUT, "sd1", "text_encoder"), safe_serialization=True)
    tok1 = write_tokenizer(os.path.join(OUT, "sd1", "tokenizer"), "<|endoftext|>")
    assert tok1.pad_token_id == EOT
    add_cases(gw, sd1, "sd1", "eotpad", ids_batch(g, [5, 20], EOT), skips=(0, 1, 2))
    add_cases(gw, sd1, "sd1", "zeropad", ids_batch(g, [9, 75], 0), skips=(0, 1))
    ids = ids_batch(g, [4, 30], EOT)
    mask = np.zeros_like(ids)
    mask[0, :6] = 1
    mask[1, :32] = 1
    add_cases(gw, sd1, "sd1", "mask", ids, mask, skips=(0, 1))
    # holes: the first key hidden too, so query 0 sees no key (torch's finite finfo.min masks
    # then give it a uniform mix over the keys hidden by exactly one of the two masks)
    mask2 = mask.copy()
    mask2[:, 0] = 0
    mask2[1, 3:5] = 0
    add_cases(gw, sd1, "sd1", "maskhole", ids, mask2, skips=(0,))
    for i, p in enumerate(prompts):
        prompt_case(gw, sd1, tok1, "sd1", i, p)

    # SD 2.x / Zeroscope-like: gelu, 3 layers, pad "!" (0), pytorch_model.bin
    sd2 = build(2, 3, "gelu", 2)
    sd2.save_pretrained(os.path.join(OUT, "sd2", "text_encoder"), safe_serialization=False)
    tok2 = write_tokenizer(os.path.join(OUT, "sd2", "tokenizer"), "!")
    assert tok2.pad_token_id == 0
    add_cases(gw, sd2, "sd2", "zeropad", ids_batch(g, [7, 3, 40], 0), skips=(0, 1, 2))
    add_cases(gw, sd2, "sd2", "eotpad", ids_batch(g, [11], EOT), skips=(0,))
    # SD 2.x's pad token "!" is an added special token: transformers splits prompts at it
    for i, p in enumerate(prompts + ["wow! such !text!!! <|endoftext|>x", "!" * 90]):
        prompt_case(gw, sd2, tok2, "sd2", i, p)

    # WithProjection, new-style eos_token_id, F16 weights
    pj = build(3, 2, "quick_gelu", EOT, proj=16)
    with torch.no_grad():
        for p in pj.parameters():
            p.copy_(p.half().float())
    pj.half().save_pretrained(os.path.join(OUT, "proj", "text_encoder"), safe_serialization=True)
    pj.float()
    ids = ids_batch(g, [6, 13], EOT)
    ids[1, 14:] = 0  # zero padding after the EOT
    add_cases(gw, pj, "proj", "eos", ids, skips=(0, 1))
    ids = ids_batch(g, [8], 0)
    ids[0, 9] = 5  # no EOS id at all: torch's argmax of an all-zero row -> position 0
    add_cases(gw, pj, "proj", "noeos", ids, skips=(0,))
    gw.write()
    print("wrote", OUT)


if __name__ == "__main__":
    main()
