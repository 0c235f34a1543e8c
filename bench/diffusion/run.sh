#!/usr/bin/env bash
# bench/diffusion: one Stable Diffusion 1.5-shaped UNet step (64x64x4 latents = 512x512 images,
# batch 2 = the classifier-free-guidance pair, context 77x768) and one VAE decode (64x64x4 ->
# 512x512x3), any2any (F16 and Q8_0-linear bundles) vs stable-diffusion.cpp vs diffusers on
# PyTorch CPU (float32), same random weights, same thread count, in one run. Prints seconds,
# ratios (peer time / our time: > 1 means we are faster) and the peak RSS of each process.
#   1. make_sd15_random.py (reference venv): random SD 1.5-shaped StableDiffusionPipeline,
#      save_pretrained with fp16 weights -> bench/models/sd15_random/ (~2 GB)
#   2. bench_unet_step convert: that folder -> bench/models/sd15_random.{f16,q8_0}.gguf
#      (a2a_diffusers_convert, what `any2any convert --diffusers` runs; convs F16 in both)
#   3. ours: bench_unet_step unet / vae, one process per part
#   4. diffusers: bench_diffusers.py --part unet / vae, one process per part
#   5. stable-diffusion.cpp (stable-diffusion-cpp-python 0.4.7, built from source by pip into
#      .venv-bench the first time: ~10 min): bench_sdcpp.py reads the same diffusers folder,
#      generates at 1 and 2 steps (its UNet step; see the script); wtype f16 and q8_0
#   6. table.py prints the table; crosscheck.py checks our outputs against diffusers (16x16)
# usage: bash bench/diffusion/run.sh [THREADS=2] [REPS=2]     (~30 min on a quiet 2-core machine)
# SKIP_SDCPP=1 skips stable-diffusion.cpp; SDCPP_WTYPES="default q8_0" picks its weight types
# (default = as stored, F16), a "+flash" suffix turns on its diffusion_flash_attn ("default+flash");
# OUT_JSON=FILE collects the JSON lines elsewhere (default bench/models/diffusion_results.jsonl).
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=${1:-2}
reps=${2:-2}
out=${OUT_JSON:-bench/models/diffusion_results.jsonl}
ref=.venv-ref/bin/python
dir=bench/models/sd15_random
export CCACHE_BASEDIR=$PWD CCACHE_DIR=${CCACHE_DIR:-/work/.ccache} CCACHE_NOHASHDIR=true
launcher=(); command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-bsd -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >/dev/null
ninja -C build-bsd -j2 bench_unet_step >/dev/null
mkdir -p bench/models
[[ -f $dir/unet/diffusion_pytorch_model.safetensors ]] || $ref bench/diffusion/make_sd15_random.py "$dir"
for t in f16 q8_0; do
  [[ -f $dir.$t.gguf ]] || ./build-bsd/bench_unet_step convert "$dir" "$dir.$t.gguf" "$t" "$threads"
done
if [[ -z ${SKIP_SDCPP:-} ]] && ! .venv-bench/bin/python -c "import stable_diffusion_cpp" 2>/dev/null; then
  [[ -x .venv-bench/bin/python ]] || python3 -m venv .venv-bench
  # CPU backend only; AVX-512 without GGML_NATIVE and without AMX (see ../shared/REFERENCE.md)
  CMAKE_ARGS="-DSD_CUDA=OFF -DSD_VULKAN=OFF -DSD_METAL=OFF -DSD_OPENCL=OFF -DSD_HIPBLAS=OFF -DGGML_NATIVE=OFF \
-DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=ON -DGGML_AVX512_VNNI=ON \
-DGGML_AVX512_BF16=ON -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF" CMAKE_BUILD_PARALLEL_LEVEL=2 \
    .venv-bench/bin/pip install -q stable-diffusion-cpp-python==0.4.7 || echo "stable-diffusion-cpp-python build failed" >&2
fi
: > "$out"
echo "== $(date -u +%FT%TZ)  $(nproc) cores  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)  load:$(uptime | sed 's/.*average://')"
run() {  # label, command...: runs it, prints and records its JSON line
  local label=$1; shift
  local line
  if line=$("$@" 2>"bench/models/diffusion_$label.log" | tail -1) && [[ $line == \{* ]]; then
    echo "$label $line"; echo "{\"label\": \"$label\", \"r\": $line}" >> "$out"
  else
    echo "$label FAILED (see bench/models/diffusion_$label.log)" >&2
  fi
}
run ours_f16_unet ./build-bsd/bench_unet_step unet "$dir.f16.gguf" -t "$threads" -r "$reps"
run ours_q8_0_unet ./build-bsd/bench_unet_step unet "$dir.q8_0.gguf" -t "$threads" -r "$reps"
run ours_f16_vae ./build-bsd/bench_unet_step vae "$dir.f16.gguf" -t "$threads" -r "$reps"
run torch_unet $ref bench/diffusion/bench_diffusers.py "$dir" --part unet --threads "$threads" --reps "$reps"
run torch_vae $ref bench/diffusion/bench_diffusers.py "$dir" --part vae --threads "$threads" --reps "$reps"
if [[ -z ${SKIP_SDCPP:-} ]] && .venv-bench/bin/python -c "import stable_diffusion_cpp" 2>/dev/null; then
  for w in ${SDCPP_WTYPES:-default q8_0}; do   # "+flash" suffix: diffusion_flash_attn on
    flash=(); [[ $w == *+flash ]] && flash=(--flash)
    run "sdcpp_$w" .venv-bench/bin/python bench/diffusion/bench_sdcpp.py "$dir" --threads "$threads" \
      --wtype "${w%+flash}" "${flash[@]}" --steps-a 1 --steps-b 2 --runs 1
  done
fi
echo "== done $(date -u +%FT%TZ)  load:$(uptime | sed 's/.*average://')"
$ref bench/diffusion/table.py "$out"
# the timed calls compute what diffusers computes (16x16 latents, same weights, same inputs)
echo "crosscheck against diffusers float32 (16x16 latents):"
for c in "unet f16" "unet q8_0" "vae f16"; do
  set -- $c
  ./build-bsd/bench_unet_step "$1" "$dir.$2.gguf" -t "$threads" -r 1 --side 16 --dump bench/models/xcheck.f32 >/dev/null
  echo "  $1 $2: $($ref bench/diffusion/crosscheck.py "$dir" --part "$1" --dump bench/models/xcheck.f32 --side 16 --reps 1 2>/dev/null)"
done
