#!/usr/bin/env bash
# Regenerate the embedded demo bundle (models/demo) from scratch: render the world's data, train
# every component in NExT-GPT's order, convert with any2any's own converters, write the held-out
# evaluation set and evaluate. Deterministic for the same machine and package versions; resumable
# (every step skips what it already finished; interrupted trainings resume from their checkpoints).
#
#   bash scripts/demo_model.sh                 # or: make demo-model
#   A2A_DEMO_WORK=/big/disk/w bash scripts/demo_model.sh
#   A2A_DEMO_SCALE=0.05 bash scripts/demo_model.sh   # a quick smoke run (tiny step counts)
#
# Two independent chains run side by side on the 2 cores (one thread each): the encoders, the
# LLM and the sound generator on one, the image and video generators on the other (about 70 and
# 60 core-minutes); the NExT-GPT stages then need both.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=${A2A_DEMO_WORK:-$root/build/demo-work}
scale=${A2A_DEMO_SCALE:-1}
out=${A2A_DEMO_OUT:-$root/models/demo}
mkdir -p "$work"
log() { echo "== demo-model $(date -u +%H:%M:%S): $*"; }

bash scripts/deps.sh
bash tools/ref/setup_venv.sh >"$work/setup_venv.log" 2>&1 || { tail -20 "$work/setup_venv.log"; exit 1; }
py=$root/.venv-ref/bin/python
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build any2any >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }
a2a=$root/build/any2any
export A2A_BIN=$a2a A2A_TRAIN_THREADS=1 PYTHONHASHSEED=0
t0=$(date +%s)

log "data (shapes, espeak-ng speech, sox tones and noise, moving shapes)"
$py tools/demo/gen_data.py "$work" --scale "$scale"

chain_understand() {
  log "encoder: ImageBind-shaped trunks, contrastive (bundle encoder, then the independent judge)"
  $py tools/demo/train_encoder.py "$work" --which enc --steps-scale "$scale"
  $py tools/demo/train_encoder.py "$work" --which judge --steps-scale "$scale"
  log "LLM: tokenizer and text pretraining"
  $py tools/demo/train_llm.py "$work" --steps-scale "$scale"
  [[ -f $work/llm/base.gguf ]] || $a2a convert "$work/llm/base" -o "$work/llm/base.gguf" --type f32 >/dev/null
  for w in enc judge; do
    [[ -f $work/$w/$w.gguf ]] || $a2a convert --imagebind "$work/$w/imagebind.pth" --bpe "$work/enc/bpe_small.txt.gz" \
      --n-head 4 --type f16 -o "$work/$w/$w.gguf" >/dev/null
  done
  log "encoder embeddings of the training media"
  $py tools/demo/embed_media.py "$work"
  # the sound generator depends on nothing above; it runs here because this chain is the shorter one
  log "generators: AudioLDM-shaped (HiFi-GAN, mel VAE, CLAP text + UNet)"
  $py tools/demo/train_audioldm.py "$work" --steps-scale "$scale"
  [[ -f $work/gen/aldm.gguf ]] || $a2a convert --diffusers "$work/gen/audioldm" -o "$work/gen/aldm.gguf" --type f16 >/dev/null
}
chain_generate() {
  log "generators: VAE (+ decoder fine-tune), Stable-Diffusion-shaped, Zeroscope-shaped"
  $py tools/demo/train_vae.py "$work" --steps-scale "$scale"
  $py tools/demo/train_vae_decoder.py "$work" --steps-scale "$scale"
  $py tools/demo/train_sd.py "$work" --steps-scale "$scale"
  $py tools/demo/train_t2v.py "$work" --steps-scale "$scale"
  for g in sd:sd t2v:t2v; do
    [[ -f $work/gen/${g#*:}.gguf ]] || $a2a convert --diffusers "$work/gen/${g%%:*}" -o "$work/gen/${g#*:}.gguf" --type f16 >/dev/null
  done
}
chain_understand >"$work/chain_understand.log" 2>&1 &
p1=$!
chain_generate >"$work/chain_generate.log" 2>&1 &
p2=$!
trap 'kill $p1 $p2 2>/dev/null || true' INT TERM
s1=0; s2=0
wait $p1 || s1=$?
wait $p2 || s2=$?
grep -h "^== demo-model" "$work/chain_understand.log" "$work/chain_generate.log" || true
if (( s1 || s2 )); then
  (( s1 )) && tail -30 "$work/chain_understand.log"
  (( s2 )) && tail -30 "$work/chain_generate.log"
  echo "demo-model: a training chain failed (logs: $work/chain_*.log); rerun to resume" >&2
  exit 1
fi

log "NExT-GPT stages 1-3 (encoder-side alignment, decoder-side alignment, instruction tuning)"
A2A_TRAIN_THREADS=2 $py tools/demo/train_nextgpt.py "$work" --steps-scale "$scale"

log "convert: NExT-GPT checkpoint + components -> bundle"
for g in sd t2v aldm; do
  [[ -f $work/gen/$g.gguf ]] || { echo "demo-model: $work/gen/$g.gguf missing" >&2; exit 1; }
done
rm -rf "$work/bundle"
$a2a convert --nextgpt "$work/nextgpt/pytorch_model.pt" --base "$work/llm/base.gguf" -o "$work/bundle" --type f16 --lora-alpha 32 \
  --encoder "$work/enc/enc.gguf" --gen-image "$work/gen/sd.gguf" --gen-video "$work/gen/t2v.gguf" \
  --gen-audio "$work/gen/aldm.gguf" >/dev/null
log "held-out evaluation set"
rm -rf "$work/bundle/eval"
$py tools/demo/make_eval_set.py "$work" "$work/bundle/eval"
cp "$work/judge/judge.gguf" "$work/bundle/eval/judge.gguf"
mkdir -p "$work/bundle/examples"
$py tools/demo/make_examples.py "$work" "$work/bundle/examples"
$py tools/demo/make_expected.py "$work" "$work/bundle/examples"
$py tools/demo/plot_curves.py "$work/bundle/curves" \
  llm_pretrain="$work/llm/curve.tsv" \
  stage1_encoder_alignment="$work/nextgpt/curve_stage1.tsv" stage2_decoder_alignment="$work/nextgpt/curve_stage2.tsv" \
  stage3_instruction_tuning="$work/nextgpt/curve_stage3.tsv" \
  encoder="$work/enc/curve.tsv:image,video,audio" judge="$work/judge/curve.tsv:image,video,audio" \
  vae="$work/gen/vae/curve.tsv:rec" vae_decoder="$work/gen/vae_ft/curve.tsv:rec" sd_unet="$work/gen/sd/curve.tsv:loss" t2v_unet="$work/gen/t2v/curve.tsv:loss" \
  audio_vocoder="$work/gen/aldm_parts/vocoder/curve.tsv:mel_l1" audio_vae="$work/gen/aldm_parts/vae/curve.tsv:l1" \
  audio_unet="$work/gen/aldm_parts/ldm/curve.tsv"

rm -rf "$out.tmp"
cp -r "$work/bundle" "$out.tmp"
rm -rf "$out"
mv "$out.tmp" "$out"
log "bundle -> $out ($(du -sh "$out" | cut -f1)), $(( ($(date +%s) - t0) / 60 )) min"
$a2a eval -m "$out" --steps 25
