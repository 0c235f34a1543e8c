"""ImageBind embeddings of the training media, as any2any's perception feeds them to llama_proj.

usage: python tools/demo/embed_media.py WORK
Reads WORK/enc/imagebind.pth (train_encoder.py --which enc) and WORK/data/<kind>_train.npz;
writes WORK/enc/emb_<kind>_train.npy [N, out_dim] float32: the upstream model's full output
(preprocessor -> trunk -> head -> postprocessor: normalized, audio times its logit scale), i.e.
what src/pipeline/perception.c computes for the same media through the C front ends
(encoder_common's front ends reproduce them).
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encoder_common as ec  # noqa: E402
import train_util as tu  # noqa: E402


@torch.no_grad()
def embed(m, modality, x):
    p = m.modality_preprocessors[modality](**{modality: x})
    v = m.modality_trunks[modality](**p["trunk"])
    v = m.modality_heads[modality](v, **p["head"])
    return m.modality_postprocessors[modality](v)


def main():
    work = sys.argv[1]
    tu.setup(seed=0)
    m = ec.make_model("enc")
    m.load_state_dict(torch.load(os.path.join(work, "enc", "imagebind.pth"), weights_only=True))
    m.eval()
    for kind, modality in (("image", "vision"), ("video", "vision"), ("audio", "audio")):
        out = os.path.join(work, "enc", f"emb_{kind}_train.npy")
        if os.path.exists(out):
            continue
        d = np.load(os.path.join(work, "data", f"{kind}_train.npz"))
        src = d["samples" if kind == "audio" else "pixels"]
        embs = []
        for i in range(0, len(src), 64):
            chunk = src[i:i + 64]
            if kind == "image":
                x = ec.images_to_tensor(chunk)
            elif kind == "video":
                x = ec.video_to_tensor(chunk)
            else:
                x = ec.audio_to_tensor(ec.audio_fbank(chunk))
            embs.append(embed(m, modality, x).float().numpy())
            if (i // 64) % 20 == 0:
                print(f"embed {kind} {i + len(chunk)}/{len(src)}", flush=True)
        np.save(out + ".tmp.npy", np.concatenate(embs))
        os.replace(out + ".tmp.npy", out)
        print(f"embed: {kind} -> {out}")


if __name__ == "__main__":
    main()
