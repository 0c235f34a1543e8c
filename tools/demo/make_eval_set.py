"""Write the demo bundle's evaluation set (what `any2any eval` reads) from held-out items.

usage: python tools/demo/make_eval_set.py WORK OUTDIR [--judge J.gguf] [--small]

Reads WORK/data/{image,video,audio}_eval.{npz,json} (rendered by gen_data.py from seeds that
training never uses) and writes OUTDIR/eval.json plus the media files:
  OUTDIR/img/NNNN.png   64 x 64 RGB
  OUTDIR/vid/NNNN.mp4   8 frames 32 x 32 at 4 fps, H.264 (ffmpeg libx264 -crf 12, yuv420p)
  OUTDIR/aud/NNNN.wav   16 kHz mono PCM16
and copies the judge encoder (--judge, default WORK/judge/judge.gguf when it exists) to
OUTDIR/judge.gguf. --small writes a handful of cases per section (tests, smoke runs).
Deterministic: the same files for the same inputs. Writes into OUTDIR.tmp, then renames.

eval.json:
  {"format": "any2any-eval", "version": 1,
   "understand": [{"id": "img-0001", "media": "image|video|audio", "file": "img/0001.png",
                   "question": "What colour is it?", "expect": {"colour": "red"},
                   "caption": "a small red circle on a white background"}, ...],   (caption: for people)
   "generate":   [{"id": "gen-image-01", "modality": "image|video|audio",
                   "prompt": "Draw two red circles.", "expect": {"shape": "circle", "colour": "red",
                   "count": "two"}}, ...],
   "choice":     [{"id": "choice-001", "prompt": "Paint a blue star.", "expect": "image"},
                  {"id": "choice-070", "prompt": "Thank you.", "expect": "none"}, ...],
   "labels":     {"image": [{"text": "two red circles", "attrs": {"shape": "circle", "colour": "red",
                             "count": "two"}}, ...],                      (all 60 short captions)
                  "video": [{"text": "a red circle moving left", "attrs": {...}}, ...],   (all 80)
                  "audio": [{"text": "a voice saying hello", "attrs": {"word": "hello"}},
                            {"text": "a sine tone playing the note C", "attrs": {"note": "C",
                             "timbre": "sine"}}, {"text": "white noise", "attrs": {"noise": "white"}}, ...]},
   "attributes": {"colour": [...], "shape": [...], "count": ["one", "two", "three"],
                  "direction": [...], "word": [...], "note": [...], "timbre": [...], "noise": [...]}}

"expect" holds only the attributes the question asks about (the describe questions ask about
all of them: image shape/colour/count, video shape/colour/direction, sound word/note/noise).
In "generate", tones are judged by their pitch (the note), words and noises by the judge's
nearest audio label, images and videos by the judge's nearest image/video label.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import wave

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world  # noqa: E402

N_UNDERSTAND = {"image": 60, "video": 40, "audio": 60}
N_GENERATE = {"image": 40, "video": 30, "audio": 40}
N_CHOICE_ASK = {"image": 25, "video": 20, "audio": 20}
N_CHOICE_NONE = 35
GEN_SEED = world.EVAL_SEED0 + 77          # generation requests: held-out seeds
CHOICE_SEED = world.EVAL_SEED0 + 78

AUD_ATTR = {"speech": "word", "tone": "note", "noise": "noise"}


def attributes():
    return {"colour": list(world.COLOURS), "shape": list(world.SHAPES), "count": [world.COUNTS[k] for k in sorted(world.COUNTS)],
            "direction": list(world.DIRECTIONS), "word": list(world.WORDS), "note": list(world.NOTES),
            "timbre": list(world.TIMBRES), "noise": list(world.NOISES)}


def labels():
    img, vid, aud = [], [], []
    for n in sorted(world.COUNTS):
        for colour in world.COLOURS:
            for shape in world.SHAPES:
                it = {"kind": "image", "shape": shape, "colour": colour, "count": n}
                img.append({"text": world.short_caption(it),
                            "attrs": {"shape": shape, "colour": colour, "count": world.COUNTS[n]}})
    for colour in world.COLOURS:
        for shape in world.SHAPES:
            for d in world.DIRECTIONS:
                it = {"kind": "video", "shape": shape, "colour": colour, "direction": d}
                vid.append({"text": world.caption(it), "attrs": {"shape": shape, "colour": colour, "direction": d}})
    for w in world.WORDS:
        aud.append({"text": world.caption({"kind": "speech", "word": w}), "attrs": {"word": w}})
    for note in world.NOTES:
        for timbre in world.TIMBRES:
            aud.append({"text": world.caption({"kind": "tone", "note": note, "timbre": timbre}),
                        "attrs": {"note": note, "timbre": timbre}})
    for nz in world.NOISES:
        aud.append({"text": world.caption({"kind": "noise", "noise": nz}), "attrs": {"noise": nz}})
    return {"image": img, "video": vid, "audio": aud}


def expect_of(it, which):
    """Expected attributes of item it for the question kind which ("all" or one attribute)."""
    k = it["kind"]
    if k == "image":
        full = {"shape": it["shape"], "colour": it["colour"], "count": world.COUNTS[it["count"]]}
    elif k == "video":
        full = {"shape": it["shape"], "colour": it["colour"], "direction": it["direction"]}
    else:
        a = AUD_ATTR[k]
        full = {a: it[a]}
    return full if which == "all" else {which: full[which]}


def understand_cases(data, kind, n, rng):
    """n cases of one media kind; questions cycle through the describe question and each
    specific one (qa_pairs order), so every attribute is asked about."""
    its, arr = data[kind]
    if kind == "audio":
        # balanced over speech / tone / noise (noise is rarer in the world)
        want = {"speech": n * 9 // 20, "tone": n * 9 // 20}
        want["noise"] = n - want["speech"] - want["tone"]
        idx, got = [], {k: 0 for k in want}
        for i, it in enumerate(its):
            if got[it["kind"]] < want[it["kind"]]:
                idx.append(i)
                got[it["kind"]] += 1
        idx = idx[:n]
    else:
        idx = list(range(n))
    specific = {"image": ["shape", "colour", "count"], "video": ["direction", "colour", "shape"]}
    out = []
    for j, i in enumerate(idx):
        it = its[i]
        qa = world.qa_pairs(it, rng)
        if kind == "audio":
            q = qa[j % 2][0]
            exp = expect_of(it, "all")
        else:
            which = j % (len(qa))
            q = qa[which][0]
            exp = expect_of(it, "all" if which == 0 else specific[kind][which - 1])
        out.append((i, it, q, exp))
    return out


def write_png(path, pixels):
    Image.fromarray(pixels, "RGB").save(path, optimize=True)


def write_mp4(path, frames):
    t, h, w, _ = frames.shape
    cmd = ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r",
           str(world.VIDEO_FPS), "-i", "-", "-c:v", "libx264", "-crf", "12", "-pix_fmt", "yuv420p", "-threads", "1",
           "-bitexact", path]
    subprocess.run(cmd, input=np.ascontiguousarray(frames, dtype=np.uint8).tobytes(), check=True)


def write_wav(path, samples):
    x = np.clip(np.round(np.asarray(samples, np.float64) * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(world.SAMPLE_RATE)
        f.writeframes(x.tobytes())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("outdir")
    ap.add_argument("--judge", help="judge encoder GGUF to copy to OUTDIR/judge.gguf (default WORK/judge/judge.gguf)")
    ap.add_argument("--small", action="store_true", help="a few cases per section (smoke tests)")
    a = ap.parse_args()
    scale = (lambda n: max(2, n // 10)) if a.small else (lambda n: n)

    data = {}
    for kind in ("image", "video", "audio"):
        with open(os.path.join(a.work, "data", f"{kind}_eval.json")) as f:
            its = json.load(f)
        key = "samples" if kind == "audio" else "pixels"
        arr = np.load(os.path.join(a.work, "data", f"{kind}_eval.npz"))[key]
        assert len(arr) == len(its), kind
        data[kind] = (its, arr)

    tmp = a.outdir.rstrip("/") + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    for sub in ("img", "vid", "aud"):
        os.makedirs(os.path.join(tmp, sub))

    rng = random.Random(world.EVAL_SEED0 + 76)
    understand = []
    prefix = {"image": ("img", "png"), "video": ("vid", "mp4"), "audio": ("aud", "wav")}
    for kind in ("image", "video", "audio"):
        its, arr = data[kind]
        for j, (i, it, q, exp) in enumerate(understand_cases(data, kind, scale(N_UNDERSTAND[kind]), rng)):
            sub, ext = prefix[kind]
            rel = f"{sub}/{j + 1:04d}.{ext}"
            path = os.path.join(tmp, rel)
            if kind == "image":
                write_png(path, arr[i])
            elif kind == "video":
                write_mp4(path, arr[i])
            else:
                write_wav(path, arr[i])
            understand.append({"id": f"{sub}-{j + 1:04d}", "media": kind, "file": rel, "question": q, "expect": exp,
                               "caption": world.caption(it)})

    generate = []
    grng = random.Random(GEN_SEED)
    for kind in ("image", "video", "audio"):
        for j in range(scale(N_GENERATE[kind])):
            prompt, _answer, it = world.generation_request(grng, kind)
            generate.append({"id": f"gen-{kind}-{j + 1:02d}", "modality": kind, "prompt": prompt,
                             "expect": expect_of(it, "all")})

    choice = []
    crng = random.Random(CHOICE_SEED)
    for kind in ("image", "video", "audio"):
        for _ in range(scale(N_CHOICE_ASK[kind])):
            prompt, _answer, _it = world.generation_request(crng, kind)
            choice.append({"prompt": prompt, "expect": kind})
    none = [q for q, _ in world.TEXT_ONLY]
    para = ["Hi!", "Hello there.", "Thanks!", "Thank you very much.", "What can you do for me?", "Who are you?",
            "How many shapes do you know?", "Which colours can you name?", "Tell me the words you can say.",
            "How many notes do you know?"]
    while len(para) < N_CHOICE_NONE - len(none):
        colour, shape = crng.choice(list(world.COLOURS)), crng.choice(world.SHAPES)
        t = crng.choice(["Describe a {c} {s} in words.", "Tell me about a {c} {s} without drawing it.", "What is a {s}?"])
        p = t.format(c=colour, s=shape)
        if p not in para and p not in none:
            para.append(p)
    none += para
    for p in none[:scale(N_CHOICE_NONE)]:
        choice.append({"prompt": p, "expect": "none"})
    for j, c in enumerate(choice):
        c["id"] = f"choice-{j + 1:03d}"

    doc = {"format": "any2any-eval", "version": 1, "understand": understand, "generate": generate,
           "choice": [{"id": c["id"], "prompt": c["prompt"], "expect": c["expect"]} for c in choice],
           "labels": labels(), "attributes": attributes()}
    with open(os.path.join(tmp, "eval.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    judge = a.judge or os.path.join(a.work, "judge", "judge.gguf")
    if os.path.exists(judge):
        shutil.copyfile(judge, os.path.join(tmp, "judge.gguf"))
    elif a.judge:
        sys.exit(f"make_eval_set: judge {judge} not found")
    shutil.rmtree(a.outdir, ignore_errors=True)
    os.replace(tmp, a.outdir)
    size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(a.outdir) for f in fs)
    print(f"eval set: {len(understand)} understand, {len(generate)} generate, {len(choice)} choice cases, "
          f"{size / 1e6:.2f} MB -> {a.outdir}" + ("" if os.path.exists(os.path.join(a.outdir, "judge.gguf")) else
                                                 " (no judge.gguf yet)"))


if __name__ == "__main__":
    main()
