#!/usr/bin/env bash
# LLM benchmark, any2any vs llama.cpp on the same files, in one run:
#   1. writes a TinyLlama-shaped model (2048 wide, 22 layers, 32 heads / 4 KV heads, FFN 5632,
#      the real 32000-token LLaMA vocabulary) with random F16 weights using OUR GGUF writer
#      (any2any bench random-llm), and quantizes it with `any2any quantize` to Q4_0 and Q8_0;
#   2. installs llama-cpp-python (which builds llama.cpp from source: ~10-40 min the first time)
#      and gguf into .venv-bench;
#   3. prints prefill/decode tok/s of both engines and the ratios (bench_llm.py), and checks that
#      both engines give the same token ids and close logits (crosscheck_llamacpp.py).
# usage: bash bench/llm/run.sh [THREADS]
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=${1:-2}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null && ninja -C build >/dev/null
mkdir -p bench/models
m=bench/models/random-tinyllama
if [[ ! -f $m-f16.gguf ]]; then
  ./build/any2any bench random-llm --shape tinyllama --vocab ../shared/fixtures/vocab/ggml-vocab-llama-spm.gguf -o $m-f16.gguf
fi
for t in q4_0 q8_0; do [[ -f $m-$t.gguf ]] || ./build/any2any quantize $m-f16.gguf $m-$t.gguf $t; done
if [[ ! -x .venv-bench/bin/python ]] || ! .venv-bench/bin/python -c "import llama_cpp, gguf" 2>/dev/null; then
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install -q llama-cpp-python gguf numpy
fi
for t in q4_0 q8_0 f16; do ./build/any2any bench llm -m $m-$t.gguf -p 512 -n 128 -t "$threads"; done
.venv-bench/bin/python bench/llm/bench_llm.py $m-q4_0.gguf $m-q8_0.gguf $m-f16.gguf --threads "$threads"
for t in q4_0 q8_0 f16; do echo "crosscheck $t:"; .venv-bench/bin/python bench/llm/crosscheck_llamacpp.py $m-$t.gguf --threads "$threads"; done
