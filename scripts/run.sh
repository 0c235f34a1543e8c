#!/usr/bin/env bash
# Build any2any (Release) and run the main job: show what the CPU dispatch picked, inspect a
# real GGUF model file, and run the quick kernel benchmark against OpenBLAS.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build -j"$(nproc)" >build.log 2>&1 || { tail -50 build.log; exit 1; }
./build/any2any sysinfo
model=${1:-../shared/fixtures/vocab/ggml-vocab-llama-spm.gguf}
if [[ -f "$model" ]]; then
  ./build/any2any inspect "$model" | head -40
  echo "== tokenize 'Hello world, any-to-any!' with $(basename "$model") =="
  printf 'Hello world, any-to-any!' | ./build/any2any tokenize -m "$model" --bos
fi
# LLaMA-architecture model with random weights and the real LLaMA vocabulary (no model hub here;
# the embedded demo bundle replaces this): write, quantize, generate, measure.
m=build/random-small
if [[ -f ../shared/fixtures/vocab/ggml-vocab-llama-spm.gguf ]]; then
  echo "== random-weight LLaMA (512 wide, 4 layers, 32000-token vocabulary): write, quantize, generate, bench =="
  [[ -f $m-f16.gguf ]] || ./build/any2any bench random-llm --shape small --vocab ../shared/fixtures/vocab/ggml-vocab-llama-spm.gguf -o $m-f16.gguf
  [[ -f $m-q4_0.gguf ]] || ./build/any2any quantize $m-f16.gguf $m-q4_0.gguf q4_0
  ./build/any2any generate -m $m-q4_0.gguf -p "Once upon a time" -n 24 --seed 1
  ./build/any2any bench llm -m $m-q4_0.gguf -p 128 -n 32
fi
if [[ -x build/bench_kernels ]]; then ./build/bench_kernels --quick; fi
