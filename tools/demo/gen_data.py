"""Render the demo world's training and held-out sets into WORK/data (numpy caches).

usage: python tools/demo/gen_data.py WORK [--scale S]

Writes, for split in (train, eval):
  WORK/data/image_<split>.npz   pixels uint8 [N, 64, 64, 3]
  WORK/data/video_<split>.npz   pixels uint8 [N, 8, 32, 32, 3]
  WORK/data/audio_<split>.npz   samples float32 [N, 16384] (16 kHz)
  WORK/data/<kind>_<split>.json the items (attributes + seed), same order
Training items come from seeds TRAIN_SEED0.., held-out ones from EVAL_SEED0.. (never trained on).
Deterministic: the same files for the same arguments. Skips files that already exist (resumable).
"""
import argparse
import json
import os
import sys
from multiprocessing import Pool

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world  # noqa: E402

COUNTS = {"image": (12000, 300), "video": (4000, 200), "audio": (6000, 300)}
RENDER = {"image": world.render_image, "video": world.render_video, "audio": world.render_audio}


def _render(args):
    kind, it = args
    return RENDER[kind](it)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the training set sizes")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    out = os.path.join(a.work, "data")
    os.makedirs(out, exist_ok=True)
    with Pool(a.jobs) as pool:
        for kind, (n_train, n_eval) in COUNTS.items():
            for split, n, seed0 in (("train", max(8, int(n_train * a.scale)), world.TRAIN_SEED0),
                                    ("eval", n_eval, world.EVAL_SEED0)):
                npz = os.path.join(out, f"{kind}_{split}.npz")
                if os.path.exists(npz):
                    continue
                its = world.items(kind, n, seed0)
                arrs = pool.map(_render, [(kind, it) for it in its], chunksize=32)
                key = "samples" if kind == "audio" else "pixels"
                tmp = npz + ".tmp.npz"
                np.savez(tmp, **{key: np.stack(arrs)})
                with open(os.path.join(out, f"{kind}_{split}.json"), "w") as f:
                    json.dump(its, f)
                os.replace(tmp, npz)
                print(f"data: {kind} {split} {n} items -> {npz}", flush=True)


if __name__ == "__main__":
    main()
