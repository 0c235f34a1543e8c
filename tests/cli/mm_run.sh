#!/usr/bin/env bash
# The perception pipeline from the command line, on real media files:
#   convert the tiny upstream ImageBind checkpoint (+ the CLIP vocabulary) and a NExT-GPT-layout
#   llama_proj, write a tiny random LLaMA whose vocabulary has <Img> and </Img>, put them in a
#   bundle, then `any2any embed` (image/audio/video/text, --similarity) and `any2any run` with an
#   image, a sound and a video. Bad inputs (missing/corrupt media, mismatched projector width,
#   broken manifests) must exit 1 with a message naming the problem, never crash.
# Usage: bash mm_run.sh /path/to/any2any /path/to/source
set -u
BIN="$1"
SRC="$2"
SHARED="${A2A_SHARED_DIR:-$SRC/../shared}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
IMG="$SRC/tests/golden/imagebind/image.png"
WAV="$SRC/tests/media/data/audio/tones_44k_stereo_s16.wav"
MP4="$SRC/tests/media/data/video_ib/land_320x240_10fps_7s.mp4"

# expect_err DESCRIPTION PATTERN CMD... : exit status 1 and PATTERN (grep -F) on stderr
expect_err() {
    local d="$1" p="$2" rc; shift 2
    "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    [[ $rc == 1 ]] || fail "$d: exit $rc (want 1): $(tail -2 "$TMP/err")"
    grep -qF -- "$p" "$TMP/err" || fail "$d: stderr lacks '$p': $(tail -2 "$TMP/err")"
}

"$BIN" convert --imagebind "$SRC/tests/golden/imagebind/tiny.pth" -o "$TMP/enc.gguf" --type f32 --n-head 2 \
    --bpe "$SRC/tests/golden/clip_tok/bpe_simple_vocab_16e6.txt.gz" 2>"$TMP/err" || fail "convert --imagebind: $(tail -1 "$TMP/err")"
"$BIN" convert --projector linear "$SRC/tests/golden/mm/nextgpt_delta_tiny.pt" -o "$TMP/proj.gguf" --type f32 2>"$TMP/err" ||
    fail "convert --projector: $(tail -1 "$TMP/err")"
"$BIN" bench random-llm --shape tiny --f32 --vocab "$SHARED/fixtures/vocab/ggml-vocab-llama-spm.gguf" \
    --add-token "<Img>" --add-token "</Img>" -o "$TMP/llm.gguf" 2>"$TMP/err" || fail "random-llm: $(tail -1 "$TMP/err")"
mkdir -p "$TMP/bundle"
cp "$TMP/enc.gguf" "$TMP/proj.gguf" "$TMP/llm.gguf" "$TMP/bundle/"
cat >"$TMP/bundle/bundle.json" <<'J'
{"format": "any2any-bundle", "version": 1, "llm": "llm.gguf", "encoder": "enc.gguf",
 "input_projector": "proj.gguf", "prompt_format": "nextgpt"}
J

# embed: one input -> one 16-d unit vector; several + --similarity -> a symmetric matrix with 1 on the diagonal
if "$BIN" embed -m "$TMP/enc.gguf" --image "$IMG" >"$TMP/e1" 2>"$TMP/err"; then
    python3 - "$TMP/e1" <<'P' || fail "embed --image: not a 16-d unit vector: $(head -c 200 "$TMP/e1")"
import json, math, sys
v = json.load(open(sys.argv[1]))
assert len(v) == 16 and abs(math.sqrt(sum(x * x for x in v)) - 1) < 1e-5, v
P
else fail "embed --image: $(tail -1 "$TMP/err")"; fi
if "$BIN" embed -m "$TMP/enc.gguf" --image "$IMG" --audio "$WAV" --video "$MP4" --text "a red square" --image "$IMG" \
    --similarity >"$TMP/sim" 2>"$TMP/err"; then
    python3 - "$TMP/sim" <<'P' || fail "embed --similarity: bad matrix: $(cat "$TMP/sim")"
import json, sys
m = json.load(open(sys.argv[1]))
assert len(m) == 5 and all(len(r) == 5 for r in m)
for i in range(5):
    assert abs(m[i][i] - 1) < 1e-5
    for j in range(5):
        assert abs(m[i][j] - m[j][i]) < 1e-6 and -1 - 1e-5 <= m[i][j] <= 1 + 1e-5
assert abs(m[0][4] - 1) < 1e-6  # the same image twice
P
else fail "embed --similarity: $(tail -1 "$TMP/err")"; fi

# run: one turn with an image, a sound and a video (greedy, a few tokens), plain and --json
if "$BIN" run -m "$TMP/bundle" --image "$IMG" --audio "$WAV" --video "$MP4" -p "What do you see and hear?" \
    -n 8 --temp 0 --json >"$TMP/run" 2>"$TMP/err"; then
    python3 - "$TMP/run" <<'P' || fail "run --json: bad output: $(cat "$TMP/run")"
import json, sys
r = json.load(open(sys.argv[1]))
assert isinstance(r["text"], str) and r["media"] == 3 and r["tokens"] <= 8
# BOS + "### Human:" + 3 x (<Img> soft </Img>) + BOS + question + "\n### Assistant:"
assert r["prompt_positions"] > 3 * 3 + 4, r
P
else fail "run --json: $(tail -1 "$TMP/err")"; fi
"$BIN" run -m "$TMP/bundle/bundle.json" -p "hello" -n 4 --temp 0 >"$TMP/out" 2>"$TMP/err" || fail "run text only: $(tail -1 "$TMP/err")"

# bad inputs
printf 'not an image' >"$TMP/bad.png"
head -c 300 "$MP4" >"$TMP/trunc.mp4"
expect_err "missing image" "nope.png" "$BIN" run -m "$TMP/bundle" --image "$TMP/nope.png" -p hi -n 2
expect_err "corrupt image" "image" "$BIN" run -m "$TMP/bundle" --image "$TMP/bad.png" -p hi -n 2
expect_err "truncated video" "trunc.mp4" "$BIN" embed -m "$TMP/enc.gguf" --video "$TMP/trunc.mp4"
"$BIN" convert --imagebind "$SRC/tests/golden/imagebind/tiny.pth" -o "$TMP/enc_novocab.gguf" --type f16 --n-head 2 2>/dev/null
expect_err "text through an encoder file without the CLIP vocabulary" "CLIP vocabulary" \
    "$BIN" embed -m "$TMP/enc_novocab.gguf" --text x
expect_err "a projector file as the encoder" "imagebind" "$BIN" embed -m "$TMP/proj.gguf" --image "$IMG"
echo '{"llm": "llm.gguf", "encoder": "enc.gguf"}' >"$TMP/bundle/noproj.json"
expect_err "encoder without projector" "input_projector" "$BIN" run -m "$TMP/bundle/noproj.json" -p hi
echo '{"encoder": "enc.gguf"}' >"$TMP/bundle/nollm.json"
expect_err "no llm" "\"llm\"" "$BIN" run -m "$TMP/bundle/nollm.json" -p hi
echo '{"llm": "missing.gguf"}' >"$TMP/bundle/missing.json"
expect_err "missing component" "missing.gguf" "$BIN" run -m "$TMP/bundle/missing.json" -p hi
echo '{"llm": ' >"$TMP/bundle/broken.json"
expect_err "broken manifest" "broken.json" "$BIN" run -m "$TMP/bundle/broken.json" -p hi
# a projector 16 -> 64 with an LLM of another width
"$BIN" bench random-llm --shape small --vocab "$SHARED/fixtures/vocab/ggml-vocab-llama-spm.gguf" \
    --add-token "<Img>" --add-token "</Img>" -o "$TMP/bundle/llm512.gguf" 2>/dev/null
echo '{"llm": "llm512.gguf", "encoder": "enc.gguf", "input_projector": "proj.gguf"}' >"$TMP/bundle/wide.json"
expect_err "projector/LLM width mismatch" "64-wide soft tokens" "$BIN" run -m "$TMP/bundle/wide.json" -p hi
# an LLM without <Img>
"$BIN" bench random-llm --shape tiny --vocab "$SHARED/fixtures/vocab/ggml-vocab-llama-spm.gguf" -o "$TMP/bundle/plain.gguf" 2>/dev/null
echo '{"llm": "plain.gguf", "encoder": "enc.gguf", "input_projector": "proj.gguf"}' >"$TMP/bundle/plain.json"
expect_err "LLM without <Img>" "<Img>" "$BIN" run -m "$TMP/bundle/plain.json" -p hi

if [[ $fails -gt 0 ]]; then echo "mm_run: $fails failure(s)"; exit 1; fi
echo "mm_run: all checks passed"
