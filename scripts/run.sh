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
llm=tests/golden/llm/tiny-llama.gguf
echo "== tiny LLaMA (transformers-verified test model, random weights): inspect =="
./build/any2any inspect "$llm" | tail -5
if [[ -x build/bench_kernels ]]; then ./build/bench_kernels --quick; fi
