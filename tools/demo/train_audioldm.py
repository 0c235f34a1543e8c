#!/usr/bin/env python3
"""Train the demo bundle's AudioLDM-shaped text-to-sound generator from scratch on the demo world.

usage: python tools/demo/train_audioldm.py WORK [--steps-scale F] [--only STAGES] [--eval ANY2ANY]

Stages (each resumable: WORK/gen/aldm_parts/<stage>/ckpt.pt, curve.tsv; finished artifacts are
written atomically and a finished stage is skipped when rerun):
  mel      log-mel of every training / held-out clip (tools/demo/audio_common.py) -> mel_*.npy
  vocoder  SpeechT5HifiGan (64 mel bins -> 16 kHz, upsample 8*8*4*4 = 1024): mel L1 +
           multi-resolution STFT loss (no discriminator)
  vae      1-channel mel AutoencoderKL, 3 levels: [1, 16 frames, 64 bins] -> latent [4, 4, 16]
  ldm      ClapTextModelWithProjection (tiny, projection_dim 64) + UNet2DConditionModel
           (simple_projection class embedding, concatenated), trained jointly on the epsilon loss
           plus CLAP's contrastive loss against a throwaway mel tower (see clap_loss);
           10% empty prompts for classifier-free guidance
  pipeline diffusers AudioLDMPipeline.save_pretrained -> WORK/gen/audioldm/, and the prompt_embeds
           of every world caption (+ "") -> WORK/gen/aldm_parts/prompt_embeds.npz
--only vocoder | vae,ldm ... runs just those stages (two processes can split the work).
--eval ANY2ANY converts WORK/gen/audioldm to WORK/gen/aldm.gguf with that binary, generates held-out
prompts with `any2any generate --kind audio` and reports tone pitch accuracy (WORK/gen/aldm_parts/eval/).

Conditioning contract (for the NExT-GPT output projector): the pipeline's prompt_embeds are
F.normalize(ClapTextModelWithProjection(ids, attention_mask).text_embeds, dim=-1), shape
[1, 64]; the UNet gets them as class_labels (no cross-attention context).
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import audio_common as ac  # noqa: E402
import world  # noqa: E402

TOKENIZER_DIR = os.path.join(ROOT, "tests", "golden", "clap_text", "tokenizer")
PROJ_DIM = 64
FRAMES = world.AUDIO_SAMPLES // ac.HOP  # 16

# step counts at --steps-scale 1 (tuned for <= 30 core-minutes in all)
STEPS = {"vocoder": 3000, "vae": 2000, "ldm": 2200}
CLAP_W = 0.1  # weight of the contrastive term next to the epsilon loss


def seed_all(s):
    random.seed(s)
    np.random.seed(s)
    torch.manual_seed(s)


def log(msg):
    print(msg, flush=True)


def atomic_save(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------------
# models

def make_vocoder():
    from transformers import SpeechT5HifiGan, SpeechT5HifiGanConfig
    cfg = SpeechT5HifiGanConfig(model_in_dim=ac.N_MELS, sampling_rate=ac.SR, upsample_initial_channel=128,
                                upsample_rates=[8, 8, 4, 4], upsample_kernel_sizes=[16, 16, 8, 8],
                                resblock_kernel_sizes=[3, 7], resblock_dilation_sizes=[[1, 3], [1, 3]],
                                normalize_before=True)
    m = SpeechT5HifiGan(cfg)
    # transformers initialises every conv with std 0.01 (near-dead); use torch's default fan-in init
    for mod in m.modules():
        if isinstance(mod, (torch.nn.Conv1d, torch.nn.ConvTranspose1d)):
            mod.reset_parameters()
    return m


def make_vae(scaling_factor=1.0):
    from diffusers import AutoencoderKL
    return AutoencoderKL(in_channels=1, out_channels=1, latent_channels=4, block_out_channels=(16, 32, 64),
                         down_block_types=("DownEncoderBlock2D",) * 3, up_block_types=("UpDecoderBlock2D",) * 3,
                         layers_per_block=1, norm_num_groups=8, sample_size=FRAMES, scaling_factor=scaling_factor)


def make_tokenizer():
    from transformers import RobertaTokenizer
    return RobertaTokenizer.from_pretrained(TOKENIZER_DIR, model_max_length=77)


def make_text_encoder(vocab):
    from transformers import ClapTextConfig, ClapTextModelWithProjection
    return ClapTextModelWithProjection(ClapTextConfig(
        bos_token_id=0, eos_token_id=2, pad_token_id=1, vocab_size=vocab, hidden_size=64, intermediate_size=128,
        num_attention_heads=4, num_hidden_layers=2, layer_norm_eps=1e-5, projection_dim=PROJ_DIM,
        max_position_embeddings=80))


def make_unet():
    from diffusers import UNet2DConditionModel
    return UNet2DConditionModel(
        sample_size=FRAMES // 4, in_channels=4, out_channels=4, block_out_channels=(32, 64, 128), layers_per_block=1,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=(32, 64, 128), norm_num_groups=16, attention_head_dim=4,
        class_embed_type="simple_projection", projection_class_embeddings_input_dim=PROJ_DIM,
        class_embeddings_concat=True)


class MelTower(torch.nn.Module):
    """The audio side of CLAP's contrastive pretraining, for training only (AudioLDM's CLAP text
    encoder comes from a text-audio contrastive model; the LDM itself never sees this tower):
    log mel [B, FRAMES, 64] -> unit [B, PROJ_DIM]."""

    def __init__(self):
        super().__init__()
        c = torch.nn.Conv2d
        self.net = torch.nn.Sequential(c(1, 32, 3, padding=1), torch.nn.GELU(), c(32, 64, 3, stride=2, padding=1),
                                       torch.nn.GELU(), c(64, 64, 3, stride=2, padding=1), torch.nn.GELU())
        self.proj = torch.nn.Linear(64, PROJ_DIM)
        self.log_scale = torch.nn.Parameter(torch.tensor(float(np.log(1 / 0.07))))

    def forward(self, mel):
        h = self.net(mel.unsqueeze(1)).mean((2, 3))
        return F.normalize(self.proj(h), dim=-1)


def clap_loss(audio_emb, text_emb_all, cap_idx, log_scale):
    """CLAP-style contrastive term: each clip's embedding against every caption of the world
    (cross-entropy to its own caption), and each caption in the batch against the batch's clips
    (multi-positive: clips with the same caption).  Without it the jointly trained text encoder
    gave all seven notes of a timbre the same embedding (cosine 1.000): the epsilon loss alone
    never taught it to read the last word, and the UNet could not know which note was asked."""
    scale = log_scale.exp().clamp(max=100.0)
    logits = scale * audio_emb @ text_emb_all.t()
    l_a = F.cross_entropy(logits, cap_idx)
    lt = logits[:, cap_idx].t()  # [B captions, B clips]
    pos = cap_idx[:, None] == cap_idx[None, :]
    l_t = -(torch.logsumexp(lt.masked_fill(~pos, -1e4), 1) - torch.logsumexp(lt, 1)).mean()
    return 0.5 * (l_a + l_t)


def make_scheduler():
    from diffusers import DDIMScheduler
    return DDIMScheduler(num_train_timesteps=1000, beta_start=0.0015, beta_end=0.0195, beta_schedule="scaled_linear",
                         clip_sample=False, set_alpha_to_one=False, steps_offset=1)


def encode_text(te, tok, prompts):
    """AudioLDMPipeline._encode_prompt without the guidance concat: [B, PROJ_DIM], normalised."""
    t = tok(prompts, padding="max_length", max_length=tok.model_max_length, truncation=True, return_tensors="pt")
    e = te(t.input_ids, attention_mask=t.attention_mask).text_embeds
    return F.normalize(e, dim=-1)


# --------------------------------------------------------------------------------------------
# training loop scaffolding: progress, curve, checkpoints, resume

class Stage:
    def __init__(self, parts, name, total, modules, opt):
        self.dir = os.path.join(parts, name)
        os.makedirs(self.dir, exist_ok=True)
        self.name, self.total, self.modules, self.opt = name, total, modules, opt
        self.ckpt = os.path.join(self.dir, "ckpt.pt")
        self.curve = os.path.join(self.dir, "curve.tsv")
        self.step = 0
        if os.path.exists(self.ckpt):
            c = torch.load(self.ckpt, weights_only=False)
            for k, m in modules.items():
                m.load_state_dict(c["modules"][k])
            opt.load_state_dict(c["opt"])
            self.step = c["step"]
            random.setstate(c["py_rng"])
            np.random.set_state(c["np_rng"])
            torch.set_rng_state(c["torch_rng"])
            log(f"{name}: resumed at step {self.step}/{total}")
        elif os.path.exists(self.curve):
            os.remove(self.curve)
        self.t0 = time.time()
        self.c0 = time.process_time()
        self.s0 = self.step
        self.last_save = time.time()
        self.acc = {}

    def save(self):
        atomic_save({"modules": {k: m.state_dict() for k, m in self.modules.items()}, "opt": self.opt.state_dict(),
                     "step": self.step, "py_rng": random.getstate(), "np_rng": np.random.get_state(),
                     "torch_rng": torch.get_rng_state()}, self.ckpt)
        self.last_save = time.time()

    def record(self, losses):
        self.step += 1
        for k, v in losses.items():
            self.acc.setdefault(k, []).append(v)
        every = max(1, min(50, self.total // 20))
        if self.step % every == 0 or self.step == self.total:
            means = {k: float(np.mean(v)) for k, v in self.acc.items()}
            self.acc = {}
            new = not os.path.exists(self.curve)
            with open(self.curve, "a") as f:
                if new:
                    f.write("step\t" + "\t".join(means) + "\n")
                f.write(f"{self.step}\t" + "\t".join(f"{v:.5f}" for v in means.values()) + "\n")
            el = time.time() - self.t0
            eta = el / max(1, self.step - self.s0) * (self.total - self.step)
            cpu = time.process_time() - self.c0
            log(f"{self.name} {self.step}/{self.total} " + " ".join(f"{k} {v:.4f}" for k, v in means.items())
                + f" eta {eta:.0f}s cpu {cpu:.0f}s")
        if time.time() - self.last_save > 180 and self.step < self.total:
            self.save()

    def done(self):
        log(f"{self.name}: {self.step - self.s0} steps in {time.time() - self.t0:.0f}s wall, "
            f"{time.process_time() - self.c0:.0f}s cpu (this process)")


# --------------------------------------------------------------------------------------------
# stages

def stage_mel(work, parts):
    for split in ("train", "eval"):
        out = os.path.join(parts, f"mel_{split}.npy")
        if os.path.exists(out):
            continue
        wav = np.load(os.path.join(work, "data", f"audio_{split}.npz"))["samples"]
        mels = []
        with torch.no_grad():
            for i in range(0, len(wav), 256):
                mels.append(ac.log_mel(torch.from_numpy(wav[i:i + 256])).numpy())
        mels = np.concatenate(mels).astype(np.float32)
        assert mels.shape[1:] == (FRAMES, ac.N_MELS), mels.shape
        np.save(out + ".tmp.npy", mels)
        os.replace(out + ".tmp.npy", out)
        log(f"mel: {split} {mels.shape} min {mels.min():.2f} max {mels.max():.2f} mean {mels.mean():.2f}")


def mrstft_loss(y, t):
    sc, mag = 0.0, 0.0
    for n_fft, hop in ((2048, 256), (1024, 128), (512, 64), (256, 32)):
        sy, st = ac.stft_mag(y, n_fft, hop, n_fft), ac.stft_mag(t, n_fft, hop, n_fft)
        sc = sc + torch.linalg.norm(st - sy) / (torch.linalg.norm(st) + 1e-7)
        mag = mag + F.l1_loss(torch.log(sy), torch.log(st))
    return sc / 4, mag / 4


def stage_vocoder(work, parts, scale):
    final = os.path.join(parts, "vocoder", "model")
    if os.path.exists(final):
        return
    seed_all(1)
    wav = np.load(os.path.join(work, "data", "audio_train.npz"))["samples"]
    mel = np.load(os.path.join(parts, "mel_train.npy"))
    voc = make_vocoder()
    with torch.no_grad():  # normalize_before: per-bin statistics of the training mels
        voc.mean.copy_(torch.from_numpy(mel.mean(axis=(0, 1))))
        voc.scale.copy_(torch.from_numpy(mel.std(axis=(0, 1)) + 1e-3))
    opt = torch.optim.AdamW(voc.parameters(), lr=1e-3, betas=(0.8, 0.99), weight_decay=0.0)
    total = max(1, int(STEPS["vocoder"] * scale))
    st = Stage(parts, "vocoder", total, {"voc": voc}, opt)
    seg, bs = 8, 8
    voc.train()
    while st.step < total:
        for g in opt.param_groups:
            g["lr"] = 1e-3 * 0.5 * (1 + np.cos(np.pi * st.step / total)) + 1e-5
        idx = np.random.randint(0, len(wav), bs)
        off = np.random.randint(0, FRAMES - seg + 1, bs)
        m = torch.from_numpy(np.stack([mel[i, o:o + seg] for i, o in zip(idx, off)]))
        t = torch.from_numpy(np.stack([wav[i, o * ac.HOP:(o + seg) * ac.HOP] for i, o in zip(idx, off)]))
        y = voc(m)
        l_mel = F.l1_loss(ac.log_mel(y), ac.log_mel(t))
        sc, mag = mrstft_loss(y, t)
        loss = l_mel + sc + mag
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(voc.parameters(), 5.0)
        opt.step()
        st.record({"loss": loss.item(), "mel_l1": l_mel.item(), "sc": sc.item(), "logmag": mag.item()})
    st.done()
    voc.eval()
    tmp = final + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    voc.save_pretrained(tmp, safe_serialization=True)
    os.replace(tmp, final)
    log(f"vocoder: saved {final}")


def stage_vae(work, parts, scale):
    final = os.path.join(parts, "vae", "model")
    if os.path.exists(final):
        return
    seed_all(2)
    mel = torch.from_numpy(np.load(os.path.join(parts, "mel_train.npy"))).unsqueeze(1)  # [N, 1, FRAMES, 64]
    vae = make_vae()
    with torch.no_grad():  # start the decoder at the mean log mel (Adam would need ~7000 steps to get there)
        vae.decoder.conv_out.bias.fill_(float(mel.mean()))
    opt = torch.optim.AdamW(vae.parameters(), lr=1e-3, weight_decay=0.0)
    total = max(1, int(STEPS["vae"] * scale))
    st = Stage(parts, "vae", total, {"vae": vae}, opt)
    bs, kl_w = 8, 1e-6
    vae.train()
    while st.step < total:
        for g in opt.param_groups:
            g["lr"] = 1e-3 * min(1.0, (st.step + 1) / 100) * 0.5 * (1 + np.cos(np.pi * st.step / total)) + 1e-5
        x = mel[torch.from_numpy(np.random.randint(0, len(mel), bs))]
        post = vae.encode(x).latent_dist
        z = post.sample()
        y = vae.decode(z).sample
        rec = F.l1_loss(y, x)
        kl = post.kl().mean()
        loss = rec + kl_w * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        st.record({"loss": loss.item(), "l1": rec.item(), "kl": kl.item()})
    st.done()
    vae.eval()
    # latent statistics -> scaling_factor (1 / std of the posterior samples, as SD/AudioLDM)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        zs = [vae.encode(mel[i:i + 200]).latent_dist.sample(generator=g) for i in range(0, len(mel), 200)]
    std = torch.cat(zs).std().item()
    vae.register_to_config(scaling_factor=1.0 / std)
    log(f"vae: latent std {std:.4f} -> scaling_factor {1.0 / std:.4f}")
    tmp = final + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    vae.save_pretrained(tmp, safe_serialization=True)
    os.replace(tmp, final)


def load_items(work, split):
    with open(os.path.join(work, "data", f"audio_{split}.json")) as f:
        return json.load(f)


def stage_ldm(work, parts, scale):
    from diffusers import AutoencoderKL
    final = os.path.join(parts, "ldm", "model")
    if os.path.exists(final):
        return
    seed_all(3)
    vae = AutoencoderKL.from_pretrained(os.path.join(parts, "vae", "model")).eval()
    sf = vae.config.scaling_factor
    mel = torch.from_numpy(np.load(os.path.join(parts, "mel_train.npy")))  # [N, FRAMES, 64]
    lat_path = os.path.join(parts, "ldm", "latents.pt")
    os.makedirs(os.path.dirname(lat_path), exist_ok=True)
    if not os.path.exists(lat_path):
        mu, sd = [], []
        with torch.no_grad():
            for i in range(0, len(mel), 200):
                d = vae.encode(mel[i:i + 200].unsqueeze(1)).latent_dist
                mu.append(d.mean)
                sd.append(d.std)
        atomic_save({"mean": torch.cat(mu), "std": torch.cat(sd)}, lat_path)
    lat = torch.load(lat_path)
    items = load_items(work, "train")
    caps = [world.caption(it) for it in items]
    uniq = sorted(set(caps)) + [""]
    cap_idx = torch.tensor([uniq.index(c) for c in caps])
    tok = make_tokenizer()
    te = make_text_encoder(len(tok))
    unet = make_unet()
    sched = make_scheduler()
    acp = sched.alphas_cumprod.float()
    tower = MelTower()
    params = list(te.parameters()) + list(unet.parameters()) + list(tower.parameters())
    opt = torch.optim.AdamW(params, lr=5e-4, weight_decay=1e-2)
    total = max(1, int(STEPS["ldm"] * scale))
    st = Stage(parts, "ldm", total, {"te": te, "unet": unet, "tower": tower}, opt)
    ids = tok(uniq, padding="max_length", max_length=tok.model_max_length, truncation=True, return_tensors="pt")
    bs = 32
    te.train()
    unet.train()
    while st.step < total:
        for g in opt.param_groups:
            g["lr"] = 5e-4 * min(1.0, (st.step + 1) / 200) * 0.5 * (1 + np.cos(np.pi * st.step / total)) + 1e-5
        b = torch.from_numpy(np.random.randint(0, len(caps), bs))
        z0 = (lat["mean"][b] + lat["std"][b] * torch.randn_like(lat["mean"][b])) * sf
        ci = cap_idx[b].clone()
        ci[torch.rand(bs) < 0.1] = len(uniq) - 1
        emb_all = F.normalize(te(ids.input_ids, attention_mask=ids.attention_mask).text_embeds, dim=-1)
        emb = emb_all[ci]
        t = torch.randint(0, 1000, (bs,))
        eps = torch.randn_like(z0)
        a = acp[t].view(-1, 1, 1, 1)
        zt = a.sqrt() * z0 + (1 - a).sqrt() * eps
        pred = unet(zt, t, encoder_hidden_states=None, class_labels=emb).sample
        l_eps = F.mse_loss(pred, eps)
        l_clap = clap_loss(tower(mel[b]), emb_all[:-1], cap_idx[b], tower.log_scale)
        loss = l_eps + CLAP_W * l_clap
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        st.record({"loss": l_eps.item(), "clap": l_clap.item()})
    st.done()
    tmp = final + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    te.eval().save_pretrained(os.path.join(tmp, "text_encoder"), safe_serialization=True)
    unet.eval().save_pretrained(os.path.join(tmp, "unet"), safe_serialization=True)
    os.replace(tmp, final)
    log(f"ldm: saved {final}")


def stage_pipeline(work, parts):
    from diffusers import AudioLDMPipeline, AutoencoderKL, UNet2DConditionModel
    from transformers import ClapTextModelWithProjection, SpeechT5HifiGan
    final = os.path.join(work, "gen", "audioldm")
    if os.path.exists(final):
        return
    pipe = AudioLDMPipeline(
        vae=AutoencoderKL.from_pretrained(os.path.join(parts, "vae", "model")),
        text_encoder=ClapTextModelWithProjection.from_pretrained(os.path.join(parts, "ldm", "model", "text_encoder")),
        tokenizer=make_tokenizer(),
        unet=UNet2DConditionModel.from_pretrained(os.path.join(parts, "ldm", "model", "unet")),
        vocoder=SpeechT5HifiGan.from_pretrained(os.path.join(parts, "vocoder", "model")),
        scheduler=make_scheduler())
    tmp = final + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    pipe.save_pretrained(tmp, safe_serialization=True)
    os.replace(tmp, final)
    log(f"pipeline: saved {final}")


def stage_targets(work, parts):
    """The conditioning vectors the NExT-GPT audio output projector must predict: the pipeline's
    prompt_embeds for every caption of the world (and "" = the unconditional/negative one)."""
    from transformers import ClapTextModelWithProjection
    final = os.path.join(parts, "prompt_embeds.npz")
    if os.path.exists(final):
        return
    caps = sorted(set(world.caption(it) for it in load_items(work, "train") + load_items(work, "eval"))) + [""]
    te = ClapTextModelWithProjection.from_pretrained(os.path.join(work, "gen", "audioldm", "text_encoder")).eval()
    with torch.no_grad():
        emb = encode_text(te, make_tokenizer(), caps).numpy()
    np.savez(final + ".tmp.npz", captions=np.array(caps), prompt_embeds=emb)
    os.replace(final + ".tmp.npz", final)
    sim = emb @ emb.T
    log(f"targets: {len(caps)} captions -> {final}; max off-diagonal cosine {float((sim - 2 * np.eye(len(caps))).max()):.3f}")


# --------------------------------------------------------------------------------------------
# evaluation

def tone_pitch_report(waves, items):
    """Pitch-class accuracy (|error| < 0.5 semitone, octave ignored: captions do not name it). Also the
    share of f0s within 1 Hz of a multiple of the frame rate 16000 / HOP Hz: a stride-HOP
    upsampler maps a steady (constant) mel to a HOP-periodic waveform, whose partials lie on that grid."""
    f0 = np.array([ac.estimate_f0(w) for w in waves])
    errs = np.array([ac.pitch_class_error(f, world.NOTE_SEMITONE[it["note"]]) for f, it in zip(f0, items)])
    g = ac.SR / ac.HOP
    grid = np.abs(f0 - np.round(f0 / g) * g) < 1.0
    return {"n": len(errs), "acc": float(np.mean(np.abs(errs) < 0.5)), "mean_abs_cents": float(np.mean(np.abs(errs)) * 100),
            "on_frame_rate_grid": float(np.mean(grid)), "errs": [round(float(e), 2) for e in errs],
            "f0": [round(float(f), 1) for f in f0]}


def evaluate(work, parts, binary, n_tone=21):
    import wave
    from diffusers import AutoencoderKL
    from transformers import SpeechT5HifiGan
    out = os.path.join(parts, "eval")
    os.makedirs(out, exist_ok=True)
    items = load_items(work, "eval")
    wav = np.load(os.path.join(work, "data", "audio_eval.npz"))["samples"]
    mel = torch.from_numpy(np.load(os.path.join(parts, "mel_eval.npy")))
    tones = [i for i, it in enumerate(items) if it["kind"] == "tone"]
    rep = {}
    voc = SpeechT5HifiGan.from_pretrained(os.path.join(parts, "vocoder", "model")).eval()
    vae = AutoencoderKL.from_pretrained(os.path.join(parts, "vae", "model")).eval()
    with torch.no_grad():
        sel = tones[:60]
        rep["ground_truth_pitch"] = tone_pitch_report([wav[i] for i in sel], [items[i] for i in sel])
        y = voc(mel[sel]).numpy()
        rep["vocoder_pitch"] = tone_pitch_report(y, [items[i] for i in sel])
        y_all = voc(mel[:100])
        rep["vocoder_mel_l1_eval"] = float(F.l1_loss(ac.log_mel(y_all), mel[:100]))
        rec = vae.decode(vae.encode(mel[:, None]).latent_dist.mode()).sample[:, 0]
        rep["vae_mel_l1_eval"] = float(F.l1_loss(rec, mel))
        y = voc(rec[sel]).numpy()
        rep["vae_vocoder_pitch"] = tone_pitch_report(y, [items[i] for i in sel])
    for k in ("ground_truth_pitch", "vocoder_pitch", "vae_vocoder_pitch"):
        del rep[k]["errs"], rep[k]["f0"]
    gguf = os.path.join(work, "gen", "aldm.gguf")
    if not os.path.exists(gguf):
        subprocess.run([binary, "convert", "--diffusers", os.path.join(work, "gen", "audioldm"), "-o", gguf + ".tmp"],
                       check=True)
        os.replace(gguf + ".tmp", gguf)
    rep["gguf_bytes"] = os.path.getsize(gguf)

    def gen(prompt, path, seed):
        t0 = time.time()
        subprocess.run([binary, "generate", "--kind", "audio", "-m", gguf, "-p", prompt, "-o", path, "--steps", "25",
                        "--cfg", "3", "--seed", str(seed), "-t", "1", "--pcm16"], check=True, capture_output=True)
        with wave.open(path) as w:
            assert w.getframerate() == ac.SR
            raw = w.readframes(w.getnframes())
            x = np.frombuffer(raw, np.int16).astype(np.float32) / 32768.0
        return x, time.time() - t0

    sel = tones[:n_tone]
    waves, secs = [], []
    for k, i in enumerate(sel):
        x, s = gen(world.caption(items[i]), os.path.join(out, f"tone_{k:02d}.wav"), 100 + k)
        waves.append(x)
        secs.append(s)
    rep["c_generated_tone_pitch"] = tone_pitch_report(waves, [items[i] for i in sel])
    rep["c_generated_tone_prompts"] = [world.caption(items[i]) for i in sel]
    rep["c_seconds_per_clip"] = float(np.mean(secs))
    rep["c_wav_len"] = len(waves[0])
    for p in ["a voice saying hello", "a voice saying stop", "white noise", "brown noise"]:
        x, _ = gen(p, os.path.join(out, p.replace(" ", "_") + ".wav"), 7)
        rep.setdefault("c_other_rms", {})[p] = float(np.sqrt(np.mean(x ** 2)))
    with open(os.path.join(out, "report.json"), "w") as f:
        json.dump(rep, f, indent=1)
    log(json.dumps(rep, indent=1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--steps-scale", type=float, default=1.0)
    ap.add_argument("--only", default="", help="comma-separated stages (mel,vocoder,vae,ldm,pipeline)")
    ap.add_argument("--eval", default="", metavar="ANY2ANY", help="convert + generate + pitch check with this binary")
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("A2A_TRAIN_THREADS", "1")))
    torch.use_deterministic_algorithms(True)
    parts = os.path.join(a.work, "gen", "aldm_parts")
    os.makedirs(parts, exist_ok=True)
    only = set(s for s in a.only.split(",") if s)
    run = lambda s: not only or s in only  # noqa: E731
    c0 = time.process_time()
    if run("mel"):
        stage_mel(a.work, parts)
    if run("vocoder"):
        stage_vocoder(a.work, parts, a.steps_scale)
    if run("vae"):
        stage_vae(a.work, parts, a.steps_scale)
    if run("ldm"):
        stage_ldm(a.work, parts, a.steps_scale)
    if run("pipeline"):
        stage_pipeline(a.work, parts)
        stage_targets(a.work, parts)
    log(f"train_audioldm: {time.process_time() - c0:.0f}s cpu in this process")
    if a.eval:
        evaluate(a.work, parts, a.eval)


if __name__ == "__main__":
    main()
