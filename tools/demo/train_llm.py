"""Component pretraining of the demo LLM: its SentencePiece tokenizer and a small LLaMA trained
on the world's text (the stand-in for Vicuna in NExT-GPT's recipe).

usage: python tools/demo/train_llm.py WORK [--steps-scale F]

Writes WORK/llm/tokenizer.model, WORK/llm/base/ (transformers LlamaForCausalLM, save_pretrained,
with tokenizer.model) and WORK/llm/curve.tsv; resumable from WORK/llm/ckpt.pt.
"""
import argparse
import json
import os
import random
import shutil
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dialogues  # noqa: E402
import train_util as tu  # noqa: E402
import world  # noqa: E402
from llm_data import BASE_VOCAB, Tok, reply, train_tokenizer, user_turn  # noqa: E402

CONFIG = dict(hidden_size=192, intermediate_size=512, num_hidden_layers=4, num_attention_heads=4,
              num_key_value_heads=4, max_position_embeddings=512, rms_norm_eps=1e-5, rope_theta=10000.0,
              tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)


def load_items(work):
    out = {}
    for kind in ("image", "video", "audio"):
        with open(os.path.join(work, "data", f"{kind}_train.json")) as f:
            out[kind] = json.load(f)
    return out


def text_sequences(tok, rng, items, n):
    """Text-only turns in the prompt layout (no media, no signal tokens: the base vocabulary)."""
    seqs = []
    for _ in range(n):
        r = rng.random()
        if r < 0.4:
            kind = rng.choice(list(items))
            it = rng.choice(items[kind])
            q, a = rng.choice(world.qa_pairs(it, rng))
            segs = user_turn(tok, q) + reply(tok, a)
        elif r < 0.75:
            req, ans, _ = world.generation_request(rng, rng.choice(["image", "video", "audio"]))
            segs = user_turn(tok, req) + reply(tok, ans)
        elif r < 0.85:
            segs, _ = dialogues.text_turn(tok, rng)
        else:
            kind = rng.choice(list(items))
            segs, _ = dialogues.text_about_item(tok, rng, rng.choice(items[kind]))
        ids = [i for kind_, p, _t in segs for i in p]
        seqs.append(ids)
    return seqs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--steps-scale", type=float, default=1.0)
    a = ap.parse_args()
    tu.setup(seed=11)
    out = os.path.join(a.work, "llm")
    os.makedirs(out, exist_ok=True)
    final = os.path.join(out, "base")
    if os.path.exists(os.path.join(final, "config.json")):
        print("llm: base model exists, nothing to do")
        return
    items = load_items(a.work)
    spm_path = os.path.join(out, "tokenizer.model")
    if not os.path.exists(spm_path):
        lines = dialogues.text_corpus(random.Random(5), items, 6000)
        train_tokenizer(lines, os.path.join(out, "tokenizer"), BASE_VOCAB)
        os.remove(os.path.join(out, "tokenizer.vocab"))
    tok = Tok(spm_path)

    from transformers import LlamaConfig, LlamaForCausalLM
    cfg = LlamaConfig(vocab_size=tok.n_base, attn_implementation="sdpa", **CONFIG)
    torch.manual_seed(11)
    model = LlamaForCausalLM(cfg)
    steps = max(4, int(900 * a.steps_scale))
    batch = 32
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, betas=(0.9, 0.98), weight_decay=0.01)
    sched = tu.cosine(opt, steps, warmup=50)
    state = tu.Checkpoint(os.path.join(out, "ckpt.pt"), model, opt, sched)
    curve = tu.Curve(os.path.join(out, "curve.tsv"), state.step, ["loss"])
    rng = random.Random(1000 + state.step)
    model.train()
    t0 = time.time()
    for step in range(state.step, steps):
        seqs = text_sequences(tok, rng, items, batch)
        ids, labels, mask = tu.pad_batch(seqs)
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        curve.add(step + 1, loss=loss.item())
        tu.progress("llm pretrain", step + 1, steps, t0, state.step, loss=loss.item())
        state.maybe_save(step + 1)
    model.eval()
    tmp = final + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    shutil.copy(spm_path, os.path.join(tmp, "tokenizer.model"))
    os.replace(tmp, final)
    curve.close()
    print(f"llm: base model -> {final}")


if __name__ == "__main__":
    main()
