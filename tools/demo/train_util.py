"""Small shared pieces of the demo training scripts: determinism, progress lines, loss curves,
resumable checkpoints, padding."""
import math
import os
import random
import sys
import time

import numpy as np
import torch


def setup(seed):
    """Seed everything and use A2A_TRAIN_THREADS threads (default 1)."""
    torch.set_num_threads(int(os.environ.get("A2A_TRAIN_THREADS", "1")))
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    try:
        torch.use_deterministic_algorithms(True, warn_only=True)
    except Exception:  # noqa: BLE001
        pass


def cosine(opt, steps, warmup):
    def f(s):
        if s < warmup:
            return (s + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * min(1.0, (s - warmup) / max(1, steps - warmup)))) * 0.95 + 0.05
    return torch.optim.lr_scheduler.LambdaLR(opt, f)


def progress(stage, step, total, t0, start, every=20, **vals):
    if step % every and step != total:
        return
    el = time.time() - t0
    done = step - start
    eta = el / max(1, done) * (total - step)
    v = " ".join(f"{k} {x:.4f}" for k, x in vals.items())
    print(f"{stage} {step}/{total} {v} {el:.0f}s eta {eta:.0f}s", flush=True)


class Curve:
    """Appends step<TAB>values lines to a TSV (kept across resumes: rows past `start` dropped)."""

    def __init__(self, path, start, names):
        rows = []
        if os.path.exists(path) and start > 0:
            with open(path) as f:
                rows = [r for r in f.read().splitlines()[1:] if r and int(r.split("\t")[0]) <= start]
        self.f = open(path, "w")
        self.f.write("step\t" + "\t".join(names) + "\n")
        for r in rows:
            self.f.write(r + "\n")
        self.names = names

    def add(self, step, **vals):
        self.f.write(f"{step}\t" + "\t".join(f"{vals[n]:.6g}" for n in self.names) + "\n")
        if step % 50 == 0:
            self.f.flush()

    def close(self):
        self.f.close()


class Checkpoint:
    """Saves model/optimizer/scheduler/RNG state every `every_s` seconds; loads it at start."""

    def __init__(self, path, model, opt, sched=None, every_s=180):
        self.path, self.model, self.opt, self.sched, self.every_s = path, model, opt, sched, every_s
        self.step, self.last = 0, time.time()
        if os.path.exists(path):
            ck = torch.load(path, weights_only=False)
            model.load_state_dict(ck["model"])
            opt.load_state_dict(ck["opt"])
            if sched is not None:
                sched.load_state_dict(ck["sched"])
            torch.set_rng_state(ck["torch_rng"])
            self.step = ck["step"]
            print(f"resuming {path} at step {self.step}", file=sys.stderr)

    def maybe_save(self, step, force=False):
        if not force and time.time() - self.last < self.every_s:
            return
        ck = {"model": self.model.state_dict(), "opt": self.opt.state_dict(), "step": step,
              "torch_rng": torch.get_rng_state()}
        if self.sched is not None:
            ck["sched"] = self.sched.state_dict()
        torch.save(ck, self.path + ".tmp")
        os.replace(self.path + ".tmp", self.path)
        self.last = time.time()


def pad_batch(seqs, labels=None):
    """Right-pad id lists: ids [B, T] (pad 0), labels [B, T] (-100 on pads; given labels or ids),
    attention mask [B, T]."""
    T = max(len(s) for s in seqs)
    B = len(seqs)
    ids = torch.zeros(B, T, dtype=torch.long)
    lab = torch.full((B, T), -100, dtype=torch.long)
    mask = torch.zeros(B, T, dtype=torch.long)
    for b, s in enumerate(seqs):
        ids[b, :len(s)] = torch.tensor(s)
        lab[b, :len(s)] = torch.tensor(labels[b] if labels else s)
        mask[b, :len(s)] = 1
    return ids, lab, mask
