"""Shared helpers for the demo bundle's generator training scripts (train_vae.py, train_sd.py,
train_t2v.py): seeding, thread count, the resumable training loop bookkeeping (progress lines,
loss curve, checkpoints), atomic folder output and the small CLIP tokenizer.

Every script is `python tools/demo/train_X.py WORK [--steps-scale F]`; its stage folder is
WORK/gen/<name>/ (curve.tsv, ckpt.pt, log) and the final diffusers folder lands there too,
model_index.json / config.json written last, so an existing marker means "done"."""
import argparse
import json
import os
import random
import shutil
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
TOK_DIR = os.path.join(ROOT, "tests", "golden", "clip_tok", "hf_small")
sys.path.insert(0, HERE)
import world  # noqa: E402,F401  (re-exported for the scripts)


def parse_args(desc):
    ap = argparse.ArgumentParser(description=desc)
    ap.add_argument("work", help="work folder (build/demo-work)")
    ap.add_argument("--steps-scale", type=float, default=1.0, help="scale the number of training steps")
    return ap.parse_args()


def setup(seed):
    torch.set_num_threads(int(os.environ.get("A2A_TRAIN_THREADS", "1")))
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    try:
        torch.use_deterministic_algorithms(True)
    except Exception:  # pragma: no cover
        pass


def tokenizer():
    from transformers import CLIPTokenizer
    return CLIPTokenizer(os.path.join(TOK_DIR, "vocab.json"), os.path.join(TOK_DIR, "merges.txt"),
                         model_max_length=77)


def clip_text_config(tok, hidden, layers, heads, act="quick_gelu"):
    from transformers import CLIPTextConfig
    return CLIPTextConfig(vocab_size=len(tok), hidden_size=hidden, intermediate_size=4 * hidden,
                          num_hidden_layers=layers, num_attention_heads=heads, max_position_embeddings=77,
                          hidden_act=act, bos_token_id=tok.bos_token_id, eos_token_id=2, pad_token_id=1)


class TokenCache:
    """caption -> [77] input ids, memoised (the captions repeat a lot)."""

    def __init__(self, tok):
        self.tok, self.memo = tok, {}

    def __call__(self, texts):
        out = []
        for t in texts:
            if t not in self.memo:
                self.memo[t] = self.tok(t, padding="max_length", max_length=77, truncation=True).input_ids
            out.append(self.memo[t])
        return torch.tensor(out, dtype=torch.long)


def load_npz(work, name):
    d = np.load(os.path.join(work, "data", name + ".npz"))
    key = list(d.keys())[0]
    with open(os.path.join(work, "data", name + ".json")) as f:
        its = json.load(f)
    return d[key], its


class Run:
    """Progress lines, curve.tsv, periodic checkpoints (with RNG state) and CPU-time accounting."""

    def __init__(self, stage_dir, name, total, ckpt_every_s=180.0):
        os.makedirs(stage_dir, exist_ok=True)
        self.dir, self.name, self.total, self.every = stage_dir, name, total, ckpt_every_s
        self.ckpt = os.path.join(stage_dir, "ckpt.pt")
        self.curve = os.path.join(stage_dir, "curve.tsv")
        self.t_last = time.time()
        self.cpu0 = time.process_time()
        self.cpu_before = 0.0
        self.step = 0
        self.t0 = time.time()
        self.step0 = 0

    def resume(self, objs):
        """objs: {name: module or optimizer}; returns the step to start from."""
        if os.path.exists(self.ckpt):
            ck = torch.load(self.ckpt, map_location="cpu", weights_only=False)
            for k, o in objs.items():
                o.load_state_dict(ck[k])
            random.setstate(ck["py_rng"])
            np.random.set_state(ck["np_rng"])
            torch.set_rng_state(ck["torch_rng"])
            self.step = ck["step"]
            self.cpu_before = ck.get("cpu_s", 0.0)
            print(f"{self.name}: resumed from step {self.step}", flush=True)
            # drop curve lines past the checkpoint
            if os.path.exists(self.curve):
                with open(self.curve) as f:
                    lines = [ln for ln in f if ln.startswith("step") or int(ln.split("\t")[0]) <= self.step]
                with open(self.curve, "w") as f:
                    f.writelines(lines)
        self.step0 = self.step
        self.t0 = time.time()
        return self.step

    def cpu_s(self):
        return self.cpu_before + time.process_time() - self.cpu0

    def log(self, step, cols, objs, every=20):
        """after finishing step `step` (1-based); cols: {name: float}."""
        self.step = step
        new = not os.path.exists(self.curve)
        with open(self.curve, "a") as f:
            if new:
                f.write("step\t" + "\t".join(cols) + "\tcpu_s\n")
            f.write(f"{step}\t" + "\t".join(f"{v:.5f}" for v in cols.values()) + f"\t{self.cpu_s():.1f}\n")
        if step % every == 0 or step == self.total:
            el = time.time() - self.t0
            eta = el / max(1, step - self.step0) * (self.total - step)
            print(f"{self.name} {step}/{self.total} " + " ".join(f"{k} {v:.4f}" for k, v in cols.items()) +
                  f" cpu {self.cpu_s():.0f}s eta {eta:.0f}s", flush=True)
        if time.time() - self.t_last > self.every and step < self.total:
            self.save(objs)

    def save(self, objs):
        ck = {k: o.state_dict() for k, o in objs.items()}
        ck.update(step=self.step, py_rng=random.getstate(), np_rng=np.random.get_state(),
                  torch_rng=torch.get_rng_state(), cpu_s=self.cpu_s())
        tmp = self.ckpt + ".tmp"
        torch.save(ck, tmp)
        os.replace(tmp, self.ckpt)
        self.t_last = time.time()


def publish(tmp_dir, stage_dir, marker):
    """move every entry of tmp_dir into stage_dir, `marker` last (atomic "done" signal)."""
    names = sorted(os.listdir(tmp_dir), key=lambda n: n == marker)
    for n in names:
        dst = os.path.join(stage_dir, n)
        if os.path.isdir(dst):
            shutil.rmtree(dst)
        os.replace(os.path.join(tmp_dir, n), dst)
    shutil.rmtree(tmp_dir, ignore_errors=True)


def cosine_lr(opt, base, step, total, warmup=100):
    lr = base * min(1.0, (step + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * min(1.0, step / total))))
    for g in opt.param_groups:
        g["lr"] = lr
    return lr


def diffusion_step(te, unet, toks, caps, z0, gen, acp, opt, params, prediction_type):
    """One joint text-encoder + UNet step on the DDPM loss: z0 [B, C, (F,) H, W] clean scaled
    latents, caps the B prompts, acp the cumulative alphas [1000]; noise and timesteps drawn from
    gen. prediction_type "epsilon" regresses the noise; "v_prediction" regresses
    v = sqrt(acp) * noise - sqrt(1 - acp) * z0, which keeps a weight of about 1 on the clean
    latent at low signal-to-noise, where the picture's colours are decided (the epsilon loss
    weighs them by the SNR, ~0.005 at t = 999). Returns the loss (a tensor)."""
    import torch.nn.functional as F
    noise = torch.randn(z0.shape, generator=gen)
    t = torch.randint(0, 1000, (z0.shape[0],), generator=gen)
    a_t = acp[t].view(-1, *([1] * (z0.dim() - 1)))
    zt = a_t.sqrt() * z0 + (1 - a_t).sqrt() * noise
    if prediction_type == "epsilon":
        target = noise
    elif prediction_type == "v_prediction":
        target = a_t.sqrt() * noise - (1 - a_t).sqrt() * z0
    else:
        raise ValueError(prediction_type)
    cond = te(toks(caps)).last_hidden_state
    pred = unet(zt, t, encoder_hidden_states=cond).sample
    loss = F.mse_loss(pred, target)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    return loss
