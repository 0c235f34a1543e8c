#!/usr/bin/env bash
# Build any2any (Release) and run the main job: show what the CPU dispatch picked, then a short
# any-to-any session on the embedded demo bundle (models/demo): picture, speech, tone and video
# in, text out; text in, picture, sound, speech and video out.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build -j"$(nproc)" >build.log 2>&1 || { tail -50 build.log; exit 1; }
./build/any2any sysinfo | head -12
# The embedded demo bundle (models/demo, README "The demo bundle"): a NExT-GPT-shaped any-to-any
# system trained from scratch on a small world of coloured shapes, spoken words, tones and moving
# shapes. Inputs: held-out example media (models/demo/examples); outputs: build/demo-out.
m=models/demo
ex=$m/examples
out=build/demo-out
rm -rf "$out"; mkdir -p "$out"/{picture,tone,speech,video}
say() { printf '\n\033[1m>> %s\033[0m\n' "$*"; }
run() { ./build/any2any run -m "$m" --temp 0 -n 48 "$@"; }
echo "example inputs (held-out, never trained on) and what they are:"
sed -n 's/^ *"\(.*\)": "\(.*\)",\{0,1\}$/  \1: \2/p' "$ex/examples.json"
say "picture in ($ex/shapes.png), text out"
run --image "$ex/shapes.png" -p "What is in this image?"
say "speech in ($ex/hello.wav), text out"
run --audio "$ex/hello.wav" -p "Which word is spoken?"
say "tone in ($ex/tone.wav), text out"
run --audio "$ex/tone.wav" -p "Which note is it?"
say "video in ($ex/moving.mp4), text out"
run --video "$ex/moving.mp4" -p "What happens in this video?"
say "text in, picture out"
run -p "Draw two red circles." -o "$out/picture" --steps 25 --cfg 5
say "text in, sound out"
run -p "Play a sine tone playing the note C." -o "$out/tone" --steps 25 --cfg 3
say "text in, speech out"
run -p "Let me hear a voice saying yes." -o "$out/speech" --steps 25 --cfg 3
say "text in, video out"
run -p "Make a video of a blue star moving left." -o "$out/video" --steps 25 --cfg 5
say "text in, text out (no media asked for)"
run -p "What can you do?"
echo
echo "generated files:"
find "$out" -type f | sort
