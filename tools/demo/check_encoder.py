#!/usr/bin/env python3
"""End-to-end check of a trained demo encoder against the C engine.

  python tools/demo/check_encoder.py WORK --which enc|judge --bin build/any2any [--n 30]

Converts WORK/<which>/imagebind.pth to WORK/enc/enc.gguf or WORK/judge/judge.gguf (F16, CLIP
vocabulary WORK/enc/bpe_small.txt.gz) unless it exists, writes held-out items to files
(PNG; WAV 16 kHz 16-bit; MP4 libx264 -crf 12 yuv420p 4 fps) under WORK/<which>/check/, embeds
them and every candidate caption with `any2any embed`, and compares with PyTorch on the same
files (the MP4 decoded by the ffmpeg CLI): cosine of C vs PyTorch embeddings, and zero-shot
per-attribute accuracy from the C embeddings.  Results: WORK/<which>/check.json.
"""
import argparse
import json
import os
import subprocess
import sys
import wave

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encoder_common as ec  # noqa: E402


def write_wav(path, x):
    pcm = np.clip(np.round(x * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(pcm.tobytes())
    return pcm.astype(np.float32) / 32768.0  # torchaudio.load's scaling


def write_mp4(path, frames):
    n, h, w, _ = frames.shape
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
                    "-r", "4", "-i", "-", "-c:v", "libx264", "-crf", "12", "-pix_fmt", "yuv420p", "-r", "4", path],
                   input=frames.tobytes(), check=True)
    r = subprocess.run(["ffmpeg", "-loglevel", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                       capture_output=True, check=True)
    return np.frombuffer(r.stdout, np.uint8).reshape(-1, h, w, 3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--which", choices=["enc", "judge"], required=True)
    ap.add_argument("--bin", default=os.path.join(ec.ROOT, "build", "any2any"))
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("-t", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("A2A_TRAIN_THREADS", "1")))
    from PIL import Image

    sd = os.path.join(a.work, a.which)
    pth = os.path.join(sd, "imagebind.pth")
    bpe = os.path.join(a.work, "enc", "bpe_small.txt.gz")
    gguf = os.path.join(sd, f"{a.which}.gguf")
    if not os.path.exists(gguf):
        subprocess.run([a.bin, "convert", "--imagebind", pth, "--bpe", bpe, "--n-head", str(ec.CONFIGS[a.which]["heads"]),
                        "--type", "f16", "-o", gguf + ".tmp.gguf"], check=True, stdout=subprocess.DEVNULL)
        os.replace(gguf + ".tmp.gguf", gguf)
    m = ec.make_model(a.which)
    m.load_state_dict(torch.load(pth, map_location="cpu"))
    m.eval()
    tok = ec.Tokenizer(bpe)

    cd = os.path.join(sd, "check")
    os.makedirs(cd, exist_ok=True)
    n_img, n_vid, n_aud = a.n, max(1, (2 * a.n) // 3), a.n
    img, img_items = ec.load_split(a.work, "image", "eval")
    vid, vid_items = ec.load_split(a.work, "video", "eval")
    aud, aud_items = ec.load_split(a.work, "audio", "eval")
    args, py = [], []
    with torch.no_grad():
        for i in range(n_img):
            p = os.path.join(cd, f"image{i:02d}.png")
            Image.fromarray(img[i], "RGB").save(p)
            args += ["--image", p]
            back = np.asarray(Image.open(p).convert("RGB"))[None]
            py.append(ec.embed_full(m, "vision", ec.images_to_tensor(back))[0])
        raw_vs_mp4 = []
        for i in range(n_vid):
            p = os.path.join(cd, f"video{i:02d}.mp4")
            dec = write_mp4(p, vid[i])
            args += ["--video", p]
            e = ec.embed_full(m, "vision", ec.video_to_tensor(dec[None]))[0]
            raw_vs_mp4.append(float(e @ ec.embed_full(m, "vision", ec.video_to_tensor(vid[i:i + 1]))[0]))
            py.append(e)
        for i in range(n_aud):
            p = os.path.join(cd, f"audio{i:02d}.wav")
            back = write_wav(p, aud[i])
            args += ["--audio", p]
            py.append(ec.embed_full(m, "audio", ec.audio_to_tensor(ec.audio_fbank(back[None])))[0])
        cands = {mod: ec.candidates(mod) for mod in ("image", "video", "audio")}
        texts = [c[0] for mod in cands for c in cands[mod]]
        for t in texts:
            args += ["--text", t]
        py += list(ec.embed_full(m, "text", tok(texts)))
    r = subprocess.run([a.bin, "embed", "-m", gguf, "-t", str(a.t)] + args, capture_output=True, text=True)
    if r.returncode:
        sys.exit(r.stderr)
    c = torch.tensor(json.loads(r.stdout))
    p = torch.stack(py)
    cos = (c * p).sum(1)
    n_media = n_img + n_vid + n_aud
    res = {"gguf": gguf, "gguf_bytes": os.path.getsize(gguf), "pth_bytes": os.path.getsize(pth),
           "cos_c_vs_torch": {"image_min": round(cos[:n_img].min().item(), 6),
                              "video_min": round(cos[n_img:n_img + n_vid].min().item(), 6),
                              "audio_min": round(cos[n_img + n_vid:n_media].min().item(), 6),
                              "text_min": round(cos[n_media:].min().item(), 6)},
           "max_abs_c_vs_torch": round((c - p).abs().max().item(), 6),
           "video_raw_vs_mp4_cos_min": round(min(raw_vs_mp4), 6)}
    # zero-shot classification from the C embeddings (and the same from PyTorch's)
    off = n_media
    starts = {}
    for mod in ("image", "video", "audio"):
        starts[mod] = off
        off += len(cands[mod])
    spans = {"image": (0, n_img, img_items), "video": (n_img, n_img + n_vid, vid_items),
             "audio": (n_img + n_vid, n_media, aud_items)}
    for name, E in (("c", c), ("torch", p)):
        for mod, (s, e, items) in spans.items():
            te = E[starts[mod]:starts[mod] + len(cands[mod])]
            pred = (E[s:e] @ te.t()).argmax(1).tolist()
            res[f"zeroshot_{name}_{mod}"] = ec.score(mod, items[:e - s], pred)
    print(json.dumps(res, indent=1))
    with open(os.path.join(sd, "check.json"), "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
