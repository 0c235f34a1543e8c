#!/usr/bin/env bash
# any2any convert --diffusers + generate --kind image|audio on the tiny diffusers pipelines of
# tests/golden/sd and tests/golden/audioldm (whose outputs the golden tests check against
# diffusers): the files written
# are real PNG/JPEG images of the requested size (read back with ffprobe when available),
# image-to-image works, seeds are reproducible across thread counts, and bad requests exit 1
# with a message and leave no output file.
# Usage: bash generate_image.sh /path/to/any2any /path/to/source
set -u
BIN="$1"
SRC="$2"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

"$BIN" convert --diffusers "$SRC/tests/golden/sd/tiny" -o "$TMP/sd.gguf" --type f16 2>"$TMP/err" ||
    fail "convert --diffusers: $(tail -1 "$TMP/err")"
gen() { "$BIN" generate --kind image -m "$TMP/sd.gguf" "$@" 2>"$TMP/err" >/dev/null; }
gen -p "a red square" --steps 4 --width 32 --height 24 --seed 7 -t 1 -o "$TMP/a.png" || fail "generate: $(tail -1 "$TMP/err")"
gen -p "a red square" --steps 4 --width 32 --height 24 --seed 7 -t 2 -o "$TMP/b.png" || fail "generate 2 threads: $(tail -1 "$TMP/err")"
cmp -s "$TMP/a.png" "$TMP/b.png" || fail "same seed, different image with 1 and 2 threads"
gen -p "a red square" --steps 4 --width 32 --height 24 --seed 8 -o "$TMP/c.png" || fail "generate seed 8"
cmp -s "$TMP/a.png" "$TMP/c.png" && fail "seeds 7 and 8 gave the same image"
gen -p "x" --init-image "$TMP/a.png" --strength 0.5 --steps 4 --sampler euler_a -o "$TMP/d.jpg" ||
    fail "img2img: $(tail -1 "$TMP/err")"
if command -v ffprobe >/dev/null; then
    sz=$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0 "$TMP/a.png")
    [[ "$sz" == "32,24" ]] || fail "a.png is '$sz', want 32,24"
    sz=$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name -of csv=p=0 "$TMP/d.jpg")
    [[ "$sz" == "mjpeg" ]] || fail "d.jpg is '$sz', want a JPEG"
fi
# bad requests: exit 1, message, no file
expect_err() {
    local d="$1" p="$2" out="$3" rc; shift 3
    "$BIN" generate --kind image "$@" -o "$out" >/dev/null 2>"$TMP/err"
    rc=$?
    [[ $rc == 1 || $rc == 2 ]] || fail "$d: exit $rc"
    grep -qF -- "$p" "$TMP/err" || fail "$d: stderr lacks '$p': $(tail -1 "$TMP/err")"
    [[ -e "$out" ]] && fail "$d: $out was written"
    ls -a "$TMP" | grep -q '\.tmp$' && fail "$d: temporary file left"
}
expect_err "odd width" "divides by" "$TMP/e1.png" -m "$TMP/sd.gguf" -p x --width 33
expect_err "missing model" "nope.gguf" "$TMP/e2.png" -m "$TMP/nope.gguf" -p x
expect_err "LLM file as SD" "stable_diffusion" "$TMP/e3.png" -m "$SRC/tests/golden/llm/tiny-llama.gguf" -p x
expect_err "unknown sampler" "sampler" "$TMP/e4.png" -m "$TMP/sd.gguf" -p x --sampler lms
expect_err "bad extension" "extension" "$TMP/e5.bmpx" -m "$TMP/sd.gguf" -p x --steps 1 --width 16 --height 16
expect_err "missing init image" "missing.png" "$TMP/e6.png" -m "$TMP/sd.gguf" -p x --init-image "$TMP/missing.png"
expect_err "zero steps" "--steps" "$TMP/e7.png" -m "$TMP/sd.gguf" -p x --steps 0
# audio: AudioLDM -> WAV (float by default, --pcm16), read back with ffprobe
"$BIN" convert --diffusers "$SRC/tests/golden/audioldm/tiny" -o "$TMP/aldm.gguf" 2>"$TMP/err" ||
    fail "convert --diffusers audioldm: $(tail -1 "$TMP/err")"
"$BIN" generate --kind audio -m "$TMP/aldm.gguf" -p "a dog barking" --seconds 0.02 -o "$TMP/a.wav" 2>"$TMP/err" >/dev/null ||
    fail "generate audio: $(tail -1 "$TMP/err")"
"$BIN" generate --kind audio -m "$TMP/aldm.gguf" -p "rain" --seconds 0.02 --pcm16 -o "$TMP/b.wav" 2>"$TMP/err" >/dev/null ||
    fail "generate audio pcm16: $(tail -1 "$TMP/err")"
if command -v ffprobe >/dev/null; then
    info=$(ffprobe -v error -show_entries stream=codec_name,sample_rate,channels -of csv=p=0 "$TMP/a.wav")
    [[ "$info" == "pcm_f32le,16000,1" ]] || fail "a.wav is '$info'"
    info=$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$TMP/b.wav")
    [[ "$info" == "pcm_s16le" ]] || fail "b.wav is '$info'"
fi
"$BIN" generate --kind audio -m "$TMP/sd.gguf" -p x -o "$TMP/c.wav" >/dev/null 2>"$TMP/err" && fail "SD file as AudioLDM accepted"
grep -qF "audioldm" "$TMP/err" || fail "SD file as AudioLDM: $(tail -1 "$TMP/err")"
[[ -e "$TMP/c.wav" ]] && fail "c.wav written after a failure"
"$BIN" generate --kind audio -m "$TMP/aldm.gguf" -p x --seconds 0 -o "$TMP/d.wav" >/dev/null 2>&1 && fail "0 s accepted"
if [[ $fails -gt 0 ]]; then echo "generate_media: $fails failure(s)"; exit 1; fi
echo "generate_media: all checks passed"
