"""NExT-GPT's three training stages on the demo world, then export in NExT-GPT's checkpoint layout.

usage: python tools/demo/train_nextgpt.py WORK [--steps-scale F]

Inputs (made by the earlier steps of `make demo-model`):
  WORK/llm/base/                   the pretrained LLM (train_llm.py)
  WORK/enc/emb_<kind>_train.npy    ImageBind embeddings of the training media [N, D] (embed_media.py)
  WORK/gen/{sd,t2v,audioldm}/      the generators (their text encoders give the stage-2/3 targets)
Stages (REFERENCE.md "training"; NExT-GPT-Lagacy/code/config/stage_*.yaml):
  1 encoder-side alignment   X -> caption/answer cross-entropy; trains llama_proj (+ <Img> </Img> rows)
                             and, unlike NExT-GPT (whose 7B Vicuna reads a linearly projected token
                             as is), the LoRA adapter too: this 2M-parameter LLM pretrained on text
                             alone ignored the soft token with llama_proj alone (A2A_DEMO_STAGE1_LORA=0
                             reproduces that: the answers stay the text prior's most likely caption)
  2 decoder-side alignment   request -> "[answer] [X0..Xn]": cross-entropy on the reply and signal
                             tokens + L2(output projector(hidden, embeds), generator text encoder(caption));
                             trains the added tokens' embedding / lm_head rows and the output projectors
  3 instruction tuning       MosIT-style multi-turn, modality-switching dialogues; LoRA (q, k, v, o)
                             + llama_proj + output projectors + added rows; cross-entropy + L2
Outputs: WORK/nextgpt/stage{1,2,3}.pt (resumable), WORK/nextgpt/pytorch_model.pt (NExT-GPT's
delta layout: what `any2any convert --nextgpt` reads), curves WORK/nextgpt/curve_stage*.tsv.

The output projector sees what any2any gives it at inference (src/pipeline/nextgpt.c): the
final-norm hidden states that PRODUCED the signal tokens (one position earlier) plus the
signal tokens' input embeddings.
"""
import argparse
import collections
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "ref"))
import dialogues  # noqa: E402
import train_util as tu  # noqa: E402
import world  # noqa: E402
from llm_data import ADDED, N_SIGNAL, Tok  # noqa: E402
from make_golden_textfc import TextFcTransformer  # noqa: E402

MODALITIES = ["image", "video", "audio"]
FC_SUFFIX = {"image": "", "video": "_video", "audio": "_audio"}
FC_TOKENS = {"image": 77, "video": 77, "audio": 1}
FC_HIDDEN, FC_HEADS, FC_LAYERS = 128, 4, 2
LORA_R, LORA_ALPHA = 16, 32.0
STAGES = {  # steps, batch, lr
    1: (800, 32, 2e-3),
    2: (600, 24, 1e-3),
    3: (1200, 16, 5e-4),
}
STAGE1_LORA = os.environ.get("A2A_DEMO_STAGE1_LORA", "1") == "1"
if os.environ.get("A2A_DEMO_STAGES"):  # experiments: "steps,batch,lr;steps,batch,lr;..."
    for i, spec in enumerate(os.environ["A2A_DEMO_STAGES"].split(";")):
        a_, b_, c_ = spec.split(",")
        STAGES[i + 1] = (int(a_), int(b_), float(c_))


class LoraLinear(nn.Module):
    """peft-style LoRA around a frozen Linear: W x + (alpha / r) B A x (A: [r, in], B: [out, r])."""

    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        self.lora_A = nn.Linear(base.in_features, r, bias=False)
        self.lora_B = nn.Linear(r, base.out_features, bias=False)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=5 ** 0.5)
        nn.init.zeros_(self.lora_B.weight)
        self.scale = alpha / r
        self.enabled = False

    def forward(self, x):
        y = self.base(x)
        if self.enabled:
            y = y + self.scale * self.lora_B(self.lora_A(x))
        return y


class TargetEncoders:
    """The generators' own text encoders, as their pipelines compute prompt_embeds: the conditioning
    the output projectors learn to produce (cached per caption)."""

    def __init__(self, work):
        from transformers import (ClapTextModelWithProjection, CLIPTextModel, CLIPTokenizer,
                                  RobertaTokenizer)
        self.enc = {}
        for m, sub in (("image", "sd"), ("video", "t2v")):
            d = os.path.join(work, "gen", sub)
            self.enc[m] = (CLIPTokenizer.from_pretrained(os.path.join(d, "tokenizer")),
                           CLIPTextModel.from_pretrained(os.path.join(d, "text_encoder")).eval())
        d = os.path.join(work, "gen", "audioldm")
        self.enc["audio"] = (RobertaTokenizer.from_pretrained(os.path.join(d, "tokenizer")),
                             ClapTextModelWithProjection.from_pretrained(os.path.join(d, "text_encoder")).eval())
        self.cache = {}

    def dim(self, m):
        te = self.enc[m][1]
        return te.config.projection_dim if m == "audio" else te.config.hidden_size

    @torch.no_grad()
    def __call__(self, m, text):
        key = (m, text)
        if key not in self.cache:
            tok, te = self.enc[m]
            t = tok(text, padding="max_length", max_length=tok.model_max_length, truncation=True, return_tensors="pt")
            if m == "audio":
                e = te(t.input_ids, attention_mask=t.attention_mask).text_embeds
                e = F.normalize(e, dim=-1)  # AudioLDMPipeline._encode_prompt
            else:
                e = te(t.input_ids)[0][0]
            self.cache[key] = e.reshape(-1, e.shape[-1]).float()
        return self.cache[key]


def target_caption(item):
    """The text a generator was trained to draw the item from (train_sd/t2v/audioldm.py)."""
    return world.short_caption(item) if item["kind"] == "image" else world.caption(item)


class NextGPT(nn.Module):
    def __init__(self, work, tok, enc_dim, targets):
        super().__init__()
        from transformers import LlamaForCausalLM
        self.llm = LlamaForCausalLM.from_pretrained(os.path.join(work, "llm", "base"), attn_implementation="sdpa")
        self.n_base = self.llm.config.vocab_size
        E = self.llm.config.hidden_size
        emb = self.llm.get_input_embeddings().weight.detach()
        self.llm.resize_token_embeddings(self.n_base + len(ADDED), mean_resizing=False)
        g = torch.Generator().manual_seed(3)
        with torch.no_grad():  # new rows: the mean row plus a little noise (distinct tokens)
            mu, sd = emb.mean(0), emb.std()
            self.llm.get_input_embeddings().weight[self.n_base:] = mu + 0.5 * sd * torch.randn(len(ADDED), E, generator=g)
            head = self.llm.lm_head.weight
            head[self.n_base:] = head[:self.n_base].mean(0) + 0.5 * head.std() * torch.randn(len(ADDED), E, generator=g)
        for p in self.llm.parameters():
            p.requires_grad_(False)
        self.loras = collections.OrderedDict()
        for i, layer in enumerate(self.llm.model.layers):
            for proj in ("q_proj", "k_proj", "v_proj", "o_proj"):
                lin = LoraLinear(getattr(layer.self_attn, proj), LORA_R, LORA_ALPHA)
                setattr(layer.self_attn, proj, lin)
                self.loras[f"model.layers.{i}.self_attn.{proj}"] = lin
        self.lora_modules = nn.ModuleList(self.loras.values())
        self.llama_proj = nn.Linear(enc_dim, E)
        self.fcs = nn.ModuleDict({m: TextFcTransformer(E, targets.dim(m), FC_TOKENS[m], FC_HIDDEN, FC_HEADS,
                                                       FC_LAYERS, FC_LAYERS) for m in MODALITIES})
        self.added_params = [self.llm.get_input_embeddings().weight, self.llm.lm_head.weight]

    def set_trainable(self, stage):
        for p in self.parameters():
            p.requires_grad_(False)
        for p in self.added_params:
            p.requires_grad_(True)  # only the added rows change (gradient mask in step())
        lora = stage >= 3 or (stage == 1 and STAGE1_LORA)
        for lin in self.loras.values():
            lin.enabled = lora or bool(lin.lora_B.weight.abs().sum() > 0)  # trained in an earlier stage
            for p in list(lin.lora_A.parameters()) + list(lin.lora_B.parameters()):
                p.requires_grad_(lora)
        for p in self.llama_proj.parameters():
            p.requires_grad_(stage in (1, 3))
        for p in self.fcs.parameters():
            p.requires_grad_(stage in (2, 3))

    def mask_base_rows(self):
        for p in self.added_params:
            if p.grad is not None:
                p.grad[:self.n_base] = 0


def build_batch(model, seqs, emb, targets):
    """seqs: [(segments, extras)] -> inputs_embeds [B, T, E], labels [B, T], mask [B, T],
    spans [(b, first position of the span tokens, modality, target)]."""
    wte = model.llm.get_input_embeddings()
    rows, labels, spans = [], [], []
    for b, (segs, ex) in enumerate(seqs):
        parts, lab, pos = [], [], 0
        gens = list(ex["gen"])
        for kind, payload, train in segs:
            if kind == "soft":
                k, idx = payload
                v = torch.from_numpy(emb[k][idx]).float()
                parts.append(model.llama_proj(v)[None])
                lab.append(-100)
                pos += 1
                continue
            ids = torch.tensor(payload)
            parts.append(wte(ids))
            lab += payload if train else [-100] * len(payload)
            if train and len(payload) in N_SIGNAL.values() and payload[0] >= model.n_base + 2:
                m, it = gens.pop(0)
                spans.append((b, pos, m, targets(m, target_caption(it))))
            pos += len(payload)
        rows.append(torch.cat(parts))
        labels.append(lab)
    T = max(r.shape[0] for r in rows)
    E = rows[0].shape[1]
    x = torch.zeros(len(rows), T, E)
    y = torch.full((len(rows), T), -100, dtype=torch.long)
    mask = torch.zeros(len(rows), T, dtype=torch.long)
    for b, r in enumerate(rows):
        x[b, :r.shape[0]] = r
        y[b, :r.shape[0]] = torch.tensor(labels[b])
        mask[b, :r.shape[0]] = 1
    return x, y, mask, spans


def forward_loss(model, tok, batch, emb, targets):
    x, y, mask, spans = build_batch(model, batch, emb, targets)
    h = model.llm.model(inputs_embeds=x, attention_mask=mask).last_hidden_state  # final-norm states
    logits = model.llm.lm_head(h)
    ce = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), y[:, 1:].reshape(-1), ignore_index=-100)
    l2 = torch.zeros(())
    if spans:
        wte = model.llm.get_input_embeddings()
        per = []
        for b, p, m, tgt in spans:
            n = N_SIGNAL[m]
            hid = h[b, p - 1:p - 1 + n]
            ids = torch.tensor(tok.signal(m))
            out = model.fcs[m](hid[None], wte(ids)[None])[0]
            per.append(F.mse_loss(out, tgt) / (tgt.var() + 1e-6))
        l2 = torch.stack(per).mean()
    return ce, l2


def stage_batch(stage, tok, rng, pools, bs):
    out = []
    for _ in range(bs):
        r = rng.random()
        if stage == 1:
            kind = rng.choice(MODALITIES)
            items, idxs = pools[kind]
            j = idxs[rng.randrange(len(idxs))]
            out.append(dialogues.understand_turn(tok, rng, kind, j, items[j]))
        elif stage == 2:
            if r < 0.8:
                out.append(dialogues.generate_turn(tok, rng, rng.choice(MODALITIES)))
            elif r < 0.9:
                out.append(dialogues.text_turn(tok, rng))
            else:
                kind = rng.choice(MODALITIES)
                items, idxs = pools[kind]
                out.append(dialogues.text_about_item(tok, rng, items[idxs[rng.randrange(len(idxs))]]))
        else:
            out.append(dialogues.mosit_dialogue(tok, rng, pools, rng.choice([1, 1, 2, 3])))
    return out


def export(model, path):
    """NExT-GPT's pytorch_model.pt: LLM (whole resized embedding, LoRA A/B, lm_head), llama_proj,
    gen_text_hidden_fcs{,_video,_audio}.0.* (model/agent.py save_model)."""
    pfx = "llama_model.base_model.model."
    ck = collections.OrderedDict()
    ck[pfx + "model.embed_tokens.weight"] = model.llm.get_input_embeddings().weight
    for name, lin in model.loras.items():
        ck[pfx + name + ".lora_A.default.weight"] = lin.lora_A.weight
        ck[pfx + name + ".lora_B.default.weight"] = lin.lora_B.weight
    ck[pfx + "lm_head.weight"] = model.llm.lm_head.weight
    for k, v in model.llama_proj.named_parameters():
        ck["llama_proj." + k] = v
    for m in MODALITIES:
        for k, v in model.fcs[m].named_parameters():
            ck[f"gen_text_hidden_fcs{FC_SUFFIX[m]}.0.{k}"] = v
    ck = collections.OrderedDict((k, v.detach().clone().float().contiguous()) for k, v in ck.items())
    torch.save(ck, path + ".tmp")
    os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--steps-scale", type=float, default=1.0)
    a = ap.parse_args()
    tu.setup(seed=21)
    out = os.path.join(a.work, "nextgpt")
    os.makedirs(out, exist_ok=True)
    final = os.path.join(out, "pytorch_model.pt")
    if os.path.exists(final):
        print("nextgpt: pytorch_model.pt exists, nothing to do")
        return
    tok = Tok(os.path.join(a.work, "llm", "tokenizer.model"))
    emb, pools = {}, {}
    for kind in MODALITIES:
        emb[kind] = np.load(os.path.join(a.work, "enc", f"emb_{kind}_train.npy"))
        with open(os.path.join(a.work, "data", f"{kind}_train.json")) as f:
            items = json.load(f)
        pools[kind] = (items, list(range(len(items))))
    targets = TargetEncoders(a.work)
    model = NextGPT(a.work, tok, emb["image"].shape[1], targets)
    prev = None
    for stage in (1, 2, 3):
        path = os.path.join(out, f"stage{stage}.pt")
        if os.path.exists(path):
            prev = path
            continue
        if prev:
            model.load_state_dict(torch.load(prev, weights_only=True))
        steps, bs, lr = STAGES[stage]
        steps = max(4, int(steps * a.steps_scale))
        model.set_trainable(stage)
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.98), weight_decay=0.0)
        sched = tu.cosine(opt, steps, warmup=30)
        ck = tu.Checkpoint(os.path.join(out, f"ckpt_stage{stage}.pt"), model, opt, sched)
        curve = tu.Curve(os.path.join(out, f"curve_stage{stage}.tsv"), ck.step, ["ce", "l2"])
        rng = random.Random(stage * 1000 + ck.step)
        t0 = time.time()
        model.train()
        for step in range(ck.step, steps):
            ce, l2 = forward_loss(model, tok, stage_batch(stage, tok, rng, pools, bs), emb, targets)
            loss = ce + l2
            opt.zero_grad()
            loss.backward()
            model.mask_base_rows()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            curve.add(step + 1, ce=ce.item(), l2=l2.item())
            tu.progress(f"nextgpt stage {stage}", step + 1, steps, t0, ck.step, ce=ce.item(), l2=l2.item())
            ck.maybe_save(step + 1)
        curve.close()
        model.eval()
        torch.save(model.state_dict(), path + ".tmp")
        os.replace(path + ".tmp", path)
        prev = path
    model.load_state_dict(torch.load(prev, weights_only=True))
    export(model, final)
    print(f"nextgpt: delta checkpoint -> {final}")


if __name__ == "__main__":
    main()
