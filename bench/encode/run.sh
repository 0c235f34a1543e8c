#!/usr/bin/env bash
# bench/encode: ImageBind-huge (vision + audio towers, random weights) through our encoder at
# F16 and Q8_0 and through the upstream PyTorch model in the same run, on one 224x224 image,
# one 3-clip audio input (a 10 s sound) and one 15-clip video (10 s); prints seconds and the
# ratios (PyTorch time / ours: > 1 means we are faster) and peak memory of each process.
# Needs the reference venv (tools/ref/setup_venv.sh) and a Release build in build/.
# Usage: bash bench/encode/run.sh [REPS]      (about 10 minutes on 2 cores; ~3 GB of files in bench/models)
set -euo pipefail
cd "$(dirname "$0")/../.."
reps=${1:-3}
py=.venv-ref/bin/python
mkdir -p bench/models
ckpt=bench/models/imagebind_huge_va.pth
[[ -x build/bench_encode && -x build/any2any ]] || { cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null && ninja -C build any2any bench_encode >/dev/null; }
echo "== PyTorch $( $py -c 'import torch; print(torch.__version__)') (writes the checkpoint) =="
save=(); [[ -f $ckpt ]] || save=(--save "$ckpt")
torch_json=$($py bench/encode/bench_encode_torch.py --reps "$reps" "${save[@]}")
echo "$torch_json"
declare -A ours
for t in f16 q8_0; do
  out=bench/models/imagebind_huge_va.$t.gguf
  [[ -f $out ]] || ./build/any2any convert --imagebind "$ckpt" -o "$out" --type "$t" 2>&1 >/dev/null | tail -1
  echo "== any2any $t =="
  ours[$t]=$(./build/bench_encode "$out" --reps "$reps" -t 2)
  echo "${ours[$t]}"
done
$py - "$torch_json" "${ours[f16]}" "${ours[q8_0]}" <<'PY'
import json, sys
t, f16, q8 = (json.loads(s) for s in sys.argv[1:4])
print("\n| input | PyTorch s | any2any F16 s | ratio | any2any Q8_0 s | ratio |")
print("|---|---|---|---|---|---|")
for k in ("image", "audio", "video"):
    print(f"| {k} | {t[k+'_s']:.3f} | {f16[k+'_s']:.3f} | {t[k+'_s']/f16[k+'_s']:.2f}x | {q8[k+'_s']:.3f} | {t[k+'_s']/q8[k+'_s']:.2f}x |")
print(f"| peak RSS MB | {t['peak_rss_mb']:.0f} | {f16['peak_rss_mb']:.0f} | | {q8['peak_rss_mb']:.0f} | |")
PY
