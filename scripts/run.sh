#!/usr/bin/env bash
# Build any2any (Release) and run the main job: show what the CPU dispatch picked, inspect a
# real GGUF model file, run a random-weight LLaMA, run the any-to-any pipeline on a tiny
# NExT-GPT-shaped bundle, and run the quick kernel benchmark against OpenBLAS.
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
# Any-to-any through NExT-GPT's full architecture on the tiny components the test suite verifies
# against PyTorch (random/tiny weights: the wiring is real, the answers are not meaningful until
# the trained demo bundle exists): ImageBind + llama_proj in, LLaMA with NExT-GPT's signal
# tokens, output projectors + Stable Diffusion / Zeroscope / AudioLDM out.
if [[ -f ../shared/fixtures/vocab/ggml-vocab-llama-spm.gguf ]]; then
  echo "== any-to-any: image + sound + video in, text + picture + clip + sound out (tiny NExT-GPT-shaped bundle) =="
  b=build/demo-bundle
  mkdir -p $b build/demo-out
  tok=(--add-token "<Img>" --add-token "</Img>")
  for i in 0 1 2 3; do tok+=(--add-token "[IMG$i]"); done
  for i in $(seq 0 23); do tok+=(--add-token "[VID$i]"); done
  for i in $(seq 0 7); do tok+=(--add-token "[AUD$i]"); done
  g=tests/golden
  [[ -f $b/llm.gguf ]] || ./build/any2any bench random-llm --shape tiny --vocab ../shared/fixtures/vocab/ggml-vocab-llama-spm.gguf "${tok[@]}" -o $b/llm.gguf 2>/dev/null
  [[ -f $b/enc.gguf ]] || ./build/any2any convert --imagebind $g/imagebind/tiny.pth --n-head 2 --bpe $g/clip_tok/bpe_simple_vocab_16e6.txt.gz -o $b/enc.gguf 2>/dev/null
  [[ -f $b/proj.gguf ]] || ./build/any2any convert --projector linear $g/mm/nextgpt_delta_tiny.pt -o $b/proj.gguf 2>/dev/null
  for m in image video audio; do
    [[ -f $b/fc_$m.gguf ]] || ./build/any2any convert --output-projector $m $g/mm/nextgpt_delta_gen.pt --n-head 2 -o $b/fc_$m.gguf 2>/dev/null
  done
  [[ -f $b/sd.gguf ]] || ./build/any2any convert --diffusers $g/sd/tiny -o $b/sd.gguf 2>/dev/null
  [[ -f $b/t2v.gguf ]] || ./build/any2any convert --diffusers $g/t2v/tiny -o $b/t2v.gguf 2>/dev/null
  [[ -f $b/aldm.gguf ]] || ./build/any2any convert --diffusers $g/audioldm/tiny -o $b/aldm.gguf 2>/dev/null
  cat >$b/bundle.json <<'J'
{"format": "any2any-bundle", "version": 1, "llm": "llm.gguf", "encoder": "enc.gguf", "input_projector": "proj.gguf",
 "output_projectors": {"image": "fc_image.gguf", "video": "fc_video.gguf", "audio": "fc_audio.gguf"},
 "generators": {"image": "sd.gguf", "video": "t2v.gguf", "audio": "aldm.gguf"}, "prompt_format": "nextgpt"}
J
  ./build/any2any embed -m $b/enc.gguf --image $g/imagebind/image.png --audio tests/media/data/audio/tones_44k_stereo_s16.wav \
      --text "a red square" --similarity
  ./build/any2any run -m $b --image $g/imagebind/image.png --audio tests/media/data/audio/tones_44k_stereo_s16.wav \
      --video tests/media/data/video_ib/land_320x240_10fps_7s.mp4 -p "Describe them, then draw, animate and voice it." \
      -n 12 --force image --force video --force audio --steps 4 --width 32 --height 32 --frames 4 --seconds 0.5 \
      -o build/demo-out
fi
if [[ -x build/bench_kernels ]]; then ./build/bench_kernels --quick; fi
