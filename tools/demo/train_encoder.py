#!/usr/bin/env python3
"""Train the demo bundle's tiny ImageBind-shaped encoders contrastively (ImageBind style:
symmetric InfoNCE of each modality against text with the text tower's learnable logit scale).

  python tools/demo/train_encoder.py WORK --which enc|judge [--steps-scale F] [--eval-only]

enc   (seed 1, out 128): the bundle's encoder; captions = world.caption, short_caption and the
      QA answers' attribute phrases.  Writes WORK/enc/imagebind.pth (+ bpe_small.txt.gz).
judge (seed 2, out 64, narrower): judges generated outputs; world.caption / short_caption only.
      Writes WORK/judge/imagebind.pth.

Several captions in a batch can be true of one item ("It is red." of every red item), so the
InfoNCE is multi-positive: for item i the targets are all batch captions whose asserted
attributes i has (and symmetrically for each caption).  Images, videos and sounds are trained
in the same steps, each against the unique captions of its own batch.  Preprocessing: see
encoder_common.py (identical to the C front ends).  Progress lines, WORK/<stage>/curve.tsv,
WORK/<stage>/ckpt.pt every few minutes (resumed from), final artifacts written atomically,
WORK/<stage>/eval.json = per-attribute zero-shot accuracy on the *_eval sets.
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encoder_common as ec  # noqa: E402

BATCH = {"image": 32, "video": 16, "audio": 32}
STEPS = {"enc": 2400, "judge": 2400}
LR = 1.5e-3
WARMUP = 60
CKPT_SECONDS = 180


def multi_positive_nce(e, t, pos, scale):
    """e [N, D] media, t [M, D] captions (unit), pos [N, M] bool. Symmetric multi-positive InfoNCE."""
    logits = scale * e @ t.t()
    neg = torch.finfo(logits.dtype).min
    l_i = -(torch.logsumexp(logits.masked_fill(~pos, neg), 1) - torch.logsumexp(logits, 1)).mean()
    lt = logits.t()
    l_t = -(torch.logsumexp(lt.masked_fill(~pos.t(), neg), 1) - torch.logsumexp(lt, 1)).mean()
    return 0.5 * (l_i + l_t)


# Hard-negative batches: groups of items that share some attributes and differ in one, so that
# the contrastive loss can only be met by reading that one.  With uniformly drawn batches colour
# (and, for videos, shape) already tells most batch items apart, and the towers learned neither
# motion direction nor shape/count (held-out zero-shot near chance after 2,400 steps).
# (shared attributes, the attribute spread across the group); groups are drawn in turn.
HARD_GROUPS = {
    "image": [(("colour",), "shape"), (("colour", "shape"), "count")],
    "video": [(("colour", "shape"), "direction")],
}


class BatchSampler:
    """Item indices for one modality's batch: hard groups (a HARD_GROUPS entry; none: uniform
    batches) filling the batch, the remainder drawn uniformly."""

    def __init__(self, items, hard_groups):
        self.n = len(items)
        self.groups = []
        for shared, spread in hard_groups:
            index = {}
            for i, it in enumerate(items):
                index.setdefault(tuple(it[k] for k in shared), {}).setdefault(it[spread], []).append(i)
            keys = sorted(k for k, by in index.items() if len(by) > 1)
            self.groups.append((keys, index))

    def __call__(self, rng, size):
        out = []
        g = 0
        while self.groups:
            keys, index = self.groups[g % len(self.groups)]
            by = index[keys[rng.randrange(len(keys))]]
            vals = sorted(by)
            if len(out) + len(vals) > size:
                break
            out += [by[v][rng.randrange(len(by[v]))] for v in vals]
            g += 1
        out += [rng.randrange(self.n) for _ in range(size - len(out))]
        return out


def pick_captions(items, rng, full):
    """One caption variant per item (weighted); the batch's unique captions and positives."""
    chosen = []
    for it in items:
        vs = ec.variants(it, full)
        w = [v[0] for v in vs]
        v = rng.choices(vs, weights=w)[0]
        chosen.append((v[1], v[2]))
    uniq = {}
    for txt, cons in chosen:
        uniq.setdefault(txt, cons)
    texts = list(uniq)
    A = [ec.attrs(it) for it in items]
    pos = torch.tensor([[uniq[t] <= a for t in texts] for a in A], dtype=torch.bool)
    return texts, pos


@torch.no_grad()
def evaluate(m, tok, work, log=print):
    m.eval()
    res = {}
    for mod in ("image", "video", "audio"):
        cands = ec.candidates(mod)
        te = ec.embed_full(m, "text", tok([c[0] for c in cands]))
        data, items = ec.load_split(work, mod, "eval")
        embs = []
        for i in range(0, len(items), 50):
            if mod == "image":
                x = ec.images_to_tensor(data[i:i + 50])
                embs.append(ec.embed_full(m, "vision", x))
            elif mod == "video":
                embs.append(ec.embed_full(m, "vision", ec.video_to_tensor(data[i:i + 50])))
            else:
                embs.append(ec.embed_full(m, "audio", ec.audio_to_tensor(ec.audio_fbank(data[i:i + 50]))))
        e = torch.cat(embs)
        pred = (e @ te.t()).argmax(1).tolist()
        res[mod] = ec.score(mod, items, pred)
        log(f"eval {mod}: {res[mod]}")
    m.train()
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--which", choices=["enc", "judge"], required=True)
    ap.add_argument("--steps-scale", type=float, default=1.0)
    ap.add_argument("--eval-only", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("A2A_TRAIN_THREADS", "1")))
    torch.use_deterministic_algorithms(True)
    cfg = ec.CONFIGS[a.which]
    seed = cfg["seed"]
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)

    work = a.work
    sd = os.path.join(work, a.which)
    os.makedirs(sd, exist_ok=True)
    os.makedirs(os.path.join(work, "enc"), exist_ok=True)
    bpe = os.path.join(work, "enc", "bpe_small.txt.gz")
    if not os.path.exists(bpe):
        ec.write_bpe_gz(bpe)
    tok = ec.Tokenizer(bpe)
    final = os.path.join(sd, "imagebind.pth")

    if os.path.exists(final):
        if a.eval_only:
            m = ec.make_model(a.which)
            m.load_state_dict(torch.load(final, map_location="cpu"))
            res = evaluate(m, tok, work)
            with open(os.path.join(sd, "eval.json"), "w") as f:
                json.dump(res, f, indent=1)
        else:
            print(f"{final} exists: nothing to do")
        return

    # ---- data (audio fbanks cached once, shared by both models)
    cache = os.path.join(work, "enc", "audio_fbank_train.npy")
    img, img_items = ec.load_split(work, "image", "train")
    vid, vid_items = ec.load_split(work, "video", "train")
    if not os.path.exists(cache):
        aud, aud_items = ec.load_split(work, "audio", "train")
        t0 = time.time()
        fb = ec.audio_fbank(aud)
        np.save(cache + ".tmp.npy", fb)
        os.replace(cache + ".tmp.npy", cache)
        print(f"audio fbank cache: {fb.shape} in {time.time() - t0:.0f}s", flush=True)
    else:
        with open(os.path.join(work, "data", "audio_train.json")) as f:
            aud_items = json.load(f)
    afb = np.load(cache)

    m = ec.make_model(a.which)
    m.train()
    params = [p for p in m.parameters() if p.requires_grad]
    decay = [p for p in params if p.ndim >= 2]
    no_decay = [p for p in params if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=LR, betas=(0.9, 0.98), eps=1e-6)
    total = max(1, int(round(STEPS[a.which] * a.steps_scale)))
    step = 0
    curve = []
    cpu0 = 0.0
    rng = random.Random(seed)
    ck = os.path.join(sd, "ckpt.pt")
    if os.path.exists(ck):
        s = torch.load(ck, map_location="cpu", weights_only=False)
        m.load_state_dict(s["model"])
        opt.load_state_dict(s["opt"])
        step, curve, cpu0 = s["step"], s["curve"], s["cpu"]
        rng.setstate(s["rng"])
        torch.set_rng_state(s["torch_rng"])
        print(f"resumed {ck} at step {step}", flush=True)

    def save_ckpt():
        tmp = ck + ".tmp"
        torch.save({"model": m.state_dict(), "opt": opt.state_dict(), "step": step, "curve": curve,
                    "cpu": cpu0 + time.process_time(), "rng": rng.getstate(), "torch_rng": torch.get_rng_state()}, tmp)
        os.replace(tmp, ck)
        with open(os.path.join(sd, "curve.tsv.tmp"), "w") as f:
            f.write("step\tloss\timage\tvideo\taudio\tscale\n")
            for r in curve:
                f.write("\t".join(str(x) for x in r) + "\n")
        os.replace(os.path.join(sd, "curve.tsv.tmp"), os.path.join(sd, "curve.tsv"))

    full = a.which == "enc"
    hard = cfg.get("hard_negatives", False)
    sample = {k: BatchSampler(its, HARD_GROUPS[k] if hard else []) for k, its in (("image", img_items), ("video", vid_items))}
    t_start, t_ck = time.time(), time.time()
    step0 = step
    while step < total:
        lr = LR * min(1.0, (step + 1) / WARMUP) * 0.5 * (1 + math.cos(math.pi * step / total))
        for g in opt.param_groups:
            g["lr"] = lr
        ii = sample["image"](rng, BATCH["image"])
        vi = sample["video"](rng, BATCH["video"])
        ai = [rng.randrange(len(aud_items)) for _ in range(BATCH["audio"])]
        parts = {}
        for mod, idx, its in (("image", ii, img_items), ("video", vi, vid_items), ("audio", ai, aud_items)):
            parts[mod] = pick_captions([its[i] for i in idx], rng, full)
        texts = []
        for mod in parts:
            texts += [t for t in parts[mod][0] if t not in texts]
        te = ec.embed_full(m, "text", tok(texts))
        tindex = {t: i for i, t in enumerate(texts)}
        scale = ec.text_logit_scale(m)
        ev = ec.embed_full(m, "vision", ec.images_to_tensor(img[ii]))
        evv = ec.embed_full(m, "vision", ec.video_to_tensor(vid[vi]))
        ea = ec.embed_full(m, "audio", ec.audio_to_tensor(afb[ai]))
        losses = {}
        for mod, e in (("image", ev), ("video", evv), ("audio", ea)):
            tx, pos = parts[mod]
            losses[mod] = multi_positive_nce(e, te[[tindex[t] for t in tx]], pos, scale)
        loss = losses["image"] + losses["video"] + losses["audio"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        curve.append((step, round(loss.item(), 5), round(losses["image"].item(), 5), round(losses["video"].item(), 5),
                      round(losses["audio"].item(), 5), round(scale.item(), 3)))
        if step % 10 == 0 or step == total:
            el = time.time() - t_start
            eta = el / (step - step0) * (total - step)
            print(f"{a.which} {step}/{total} loss {loss.item():.4f} img {losses['image'].item():.3f} "
                  f"vid {losses['video'].item():.3f} aud {losses['audio'].item():.3f} scale {scale.item():.1f} "
                  f"lr {lr:.2e} cpu {cpu0 + time.process_time():.0f}s eta {eta:.0f}s", flush=True)
        if time.time() - t_ck > CKPT_SECONDS and step < total:
            save_ckpt()
            t_ck = time.time()
    save_ckpt()
    print(f"{a.which}: training cpu {cpu0 + time.process_time():.0f}s", flush=True)
    tmp = final + ".tmp"
    torch.save(m.state_dict(), tmp)
    os.replace(tmp, final)
    res = evaluate(m, tok, work)
    res["train_cpu_s"] = round(cpu0 + time.process_time(), 1)
    res["steps"] = total
    with open(os.path.join(sd, "eval.json"), "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
