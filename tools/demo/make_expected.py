"""PyTorch's greedy replies of the trained demo system for the example inputs: the reference the
CI test (tests/cli/demo_bundle.sh) compares any2any's replies on the converted bundle with.

usage: python tools/demo/make_expected.py WORK EXAMPLES_DIR
Reads the trained models in WORK (encoder, LLM, NExT-GPT stages) and the example media; writes
EXAMPLES_DIR/expected.json: [{"args": [...any2any run arguments...], "reply": text}], the reply as
any2any prints it (signal tokens removed), and "spans": the modalities whose signal spans appear.

The media go through encoder_common's Python front ends (the same computations as the C
front ends); videos are decoded with the ffmpeg command line to RGB.
"""
import json
import os
import subprocess
import sys
import wave

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "ref"))
import encoder_common as ec  # noqa: E402
import train_nextgpt as tn  # noqa: E402
from embed_media import embed  # noqa: E402
from llm_data import Tok, user_turn  # noqa: E402

# (flag, file, prompt): the session scripts/run.sh runs
SESSION = [
    ("--image", "shapes.png", "What is in this image?"),
    ("--audio", "hello.wav", "Which word is spoken?"),
    ("--audio", "tone.wav", "Which note is it?"),
    ("--video", "moving.mp4", "What happens in this video?"),
    (None, None, "Draw two red circles."),
    (None, None, "Play a sine tone playing the note C."),
    (None, None, "Let me hear a voice saying yes."),
    (None, None, "Make a video of a blue star moving left."),
    (None, None, "What can you do?"),
]
MAX_NEW = 48


def media_embedding(enc, flag, path):
    if flag == "--image":
        pix = np.asarray(Image.open(path).convert("RGB"))[None]
        return embed(enc, "vision", ec.images_to_tensor(pix))[0]
    if flag == "--audio":
        with wave.open(path) as w:
            x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768.0
        return embed(enc, "audio", ec.audio_to_tensor(ec.audio_fbank(x[None])))[0]
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                            "-of", "csv=p=0", path], capture_output=True, text=True, check=True).stdout.split(",")
    w, h = int(probe[0]), int(probe[1])
    raw = subprocess.run(["ffmpeg", "-loglevel", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)
    return embed(enc, "vision", ec.video_to_tensor(frames[None]))[0]


@torch.no_grad()
def main():
    work, ex = sys.argv[1], sys.argv[2]
    torch.set_num_threads(2)
    tok = Tok(os.path.join(work, "llm", "tokenizer.model"))
    enc = ec.make_model("enc")
    enc.load_state_dict(torch.load(os.path.join(work, "enc", "imagebind.pth"), weights_only=True))
    enc.eval()
    targets = tn.TargetEncoders(work)
    model = tn.NextGPT(work, tok, ec.CONFIGS["enc"]["out"], targets)
    model.load_state_dict(torch.load(os.path.join(work, "nextgpt", "stage3.pt"), weights_only=True))
    model.set_trainable(3)
    model.eval()
    wte = model.llm.get_input_embeddings()
    inv = {v: k for k, v in tok.added.items()}
    out = []
    for flag, name, prompt in SESSION:
        emb = {}
        keys = []
        if flag:
            emb["m"] = media_embedding(enc, flag, os.path.join(ex, name))[None].numpy()
            keys = [("m", 0)]
        x, _, _, _ = tn.build_batch(model, [(user_turn(tok, prompt, keys), {"media": [], "gen": []})], emb, targets)
        ids, spans = [], []
        forced = []
        for _ in range(MAX_NEW + 40):
            h = model.llm.model(inputs_embeds=x).last_hidden_state
            nxt = forced.pop(0) if forced else int(model.llm.lm_head(h[0, -1]).argmax())
            if nxt == tok.eos:
                break
            ids.append(nxt)
            if nxt in inv and inv[nxt].endswith("0]") and not forced:
                m = {"IMG": "image", "VID": "video", "AUD": "audio"}[inv[nxt][1:4]]
                spans.append(m)
                forced = tok.signal(m)[1:]
            x = torch.cat([x, wte(torch.tensor([[nxt]]))], 1)
            if len([i for i in ids if i not in inv]) >= MAX_NEW and not forced:
                break
        text = tok.sp.decode([i for i in ids if i not in inv])
        args = ([flag, name] if flag else []) + ["-p", prompt]
        out.append({"args": args, "reply": text.strip(), "spans": spans})
        print(f"{' '.join(args)} => {text.strip()} {spans}")
    with open(os.path.join(ex, "expected.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
