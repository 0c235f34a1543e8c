#!/usr/bin/env python3
"""PyTorch side of bench/encode: the upstream ImageBind model (imagebind-packaged 0.1.2,
imagebind_model.imagebind_huge shapes) with random weights, vision and audio towers (the ones
NExT-GPT feeds its projector), timed on CPU on the same input shapes as bench_encode.c: one
image [1,3,224,224], one audio set [1,3,1,128,204], one video [1,15,3,2,224,224]; best of N.

  bench_encode_torch.py --save CKPT.pth      also writes the state_dict for our converter
Prints one JSON object (seconds, peak RSS)."""
import argparse
import json
import resource
import sys
import time
import types

sys.modules["imagebind.data"] = types.ModuleType("imagebind.data")  # needs torchaudio/pytorchvideo
import torch  # noqa: E402
from imagebind.models import imagebind_model  # noqa: E402
from imagebind.models.imagebind_model import ModalityType  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--save")
ap.add_argument("--reps", type=int, default=3)
ap.add_argument("--threads", type=int, default=2)
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
m = imagebind_model.imagebind_huge(pretrained=False).eval()
for mod in ("text", "depth", "thermal", "imu"):  # not used by NExT-GPT; drop to save memory
    for d in (m.modality_preprocessors, m.modality_trunks, m.modality_heads, m.modality_postprocessors):
        del d[mod]
if a.save:
    torch.save(m.state_dict(), a.save)
res = {"torch": torch.__version__, "threads": torch.get_num_threads()}
cases = {
    "image": (ModalityType.VISION, torch.randn(1, 3, 224, 224)),
    "audio": (ModalityType.AUDIO, torch.randn(1, 3, 1, 128, 204)),
    "video": (ModalityType.VISION, torch.randn(1, 15, 3, 2, 224, 224)),
}
with torch.inference_mode():
    for name, (mod, x) in cases.items():
        best = 1e30
        for _ in range(a.reps):
            t = time.perf_counter()
            m({mod: x})
            best = min(best, time.perf_counter() - t)
        res[name + "_s"] = round(best, 4)
res["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)
print(json.dumps(res))
