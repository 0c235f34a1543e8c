#!/usr/bin/env bash
# NExT-GPT end to end from the command line on tiny components: a random LLaMA whose vocabulary
# has NExT-GPT's added tokens, the tiny ImageBind + llama_proj (perception), output projectors
# converted from a NExT-GPT-layout delta checkpoint, and the tiny Stable Diffusion and AudioLDM
# pipelines (generation). `run --force image|audio` makes the reply carry a signal span, which
# must come out as a real PNG / WAV file; --forbid keeps it out; the reply text never contains
# signal tokens; bundles whose parts do not fit are refused by name.
# Usage: bash nextgpt_run.sh /path/to/any2any /path/to/source
set -u
BIN="$1"
SRC="$2"
SHARED="${A2A_SHARED_DIR:-$SRC/../shared}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
B="$TMP/bundle"
mkdir -p "$B"
q() { "$@" 2>"$TMP/err" >/dev/null || fail "$*: $(tail -1 "$TMP/err")"; }
tokens=(--add-token "<Img>" --add-token "</Img>")
for i in 0 1 2 3; do tokens+=(--add-token "[IMG$i]"); done
for i in $(seq 0 23); do tokens+=(--add-token "[VID$i]"); done
for i in $(seq 0 7); do tokens+=(--add-token "[AUD$i]"); done
q "$BIN" bench random-llm --shape tiny --f32 --vocab "$SHARED/fixtures/vocab/ggml-vocab-llama-spm.gguf" "${tokens[@]}" -o "$B/llm.gguf"
q "$BIN" convert --imagebind "$SRC/tests/golden/imagebind/tiny.pth" -o "$B/enc.gguf" --type f32 --n-head 2
q "$BIN" convert --projector linear "$SRC/tests/golden/mm/nextgpt_delta_tiny.pt" -o "$B/proj.gguf" --type f32
q "$BIN" convert --output-projector image "$SRC/tests/golden/mm/nextgpt_delta_gen.pt" -o "$B/fc_img.gguf" --type f32 --n-head 2
q "$BIN" convert --output-projector audio "$SRC/tests/golden/mm/nextgpt_delta_gen.pt" -o "$B/fc_aud.gguf" --type f32 --n-head 2
q "$BIN" convert --output-projector video "$SRC/tests/golden/mm/nextgpt_delta_gen.pt" -o "$B/fc_vid.gguf" --type f32 --n-head 2
q "$BIN" convert --diffusers "$SRC/tests/golden/t2v/tiny" -o "$B/t2v.gguf"
q "$BIN" convert --diffusers "$SRC/tests/golden/sd/tiny" -o "$B/sd.gguf"
q "$BIN" convert --diffusers "$SRC/tests/golden/audioldm/tiny" -o "$B/aldm.gguf"
cat >"$B/bundle.json" <<'J'
{"format": "any2any-bundle", "version": 1, "llm": "llm.gguf", "encoder": "enc.gguf", "input_projector": "proj.gguf",
 "output_projectors": {"image": "fc_img.gguf", "audio": "fc_aud.gguf", "video": "fc_vid.gguf"},
 "generators": {"image": "sd.gguf", "audio": "aldm.gguf", "video": "t2v.gguf"}, "prompt_format": "nextgpt"}
J
IMG="$SRC/tests/golden/imagebind/image.png"
mkdir -p "$TMP/out"
if "$BIN" run -m "$B" --image "$IMG" -p "Draw it and let me hear it." -n 6 --temp 0 --force image --force audio --force video \
    --steps 2 --width 16 --height 16 --frames 3 --seconds 0.02 -o "$TMP/out" --json >"$TMP/run.json" 2>"$TMP/err"; then
    python3 - "$TMP/run.json" <<'P' || fail "run --force: bad result: $(cat "$TMP/run.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert [f.rsplit("-", 1)[1] for f in r["files"]] == ["1.png", "2.mp4", "3.wav"], r
assert "[IMG" not in r["text"] and "[AUD" not in r["text"], r
P
    if command -v ffprobe >/dev/null; then
        sz=$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0 "$TMP/out/reply-1.png")
        [[ "$sz" == "16,16" ]] || fail "reply-1.png is '$sz'"
        vf=$(ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$TMP/out/reply-2.mp4")
        [[ "$vf" == "3" ]] || fail "reply-2.mp4 has '$vf' frames"
        ar=$(ffprobe -v error -show_entries stream=sample_rate -of csv=p=0 "$TMP/out/reply-3.wav")
        [[ "$ar" == "16000" ]] || fail "reply-3.wav rate '$ar'"
    fi
else
    fail "run --force: $(tail -2 "$TMP/err")"
fi
# -o names a folder that does not exist yet: it is made (parents too); a file in the way is an error
"$BIN" run -m "$B" -p "Draw it." -n 4 --temp 0 --force image --steps 2 --width 16 --height 16 \
    -o "$TMP/new/nested" >/dev/null 2>"$TMP/err" || fail "run -o new folder: $(tail -1 "$TMP/err")"
[[ -s "$TMP/new/nested/reply-1.png" ]] || fail "run -o new folder: no reply-1.png"
: >"$TMP/afile"
"$BIN" run -m "$B" -p "Draw it." -n 4 --temp 0 --force image --steps 2 --width 16 --height 16 \
    -o "$TMP/afile/sub" >/dev/null 2>"$TMP/err" && fail "run -o under a file accepted"
grep -qF "output folder" "$TMP/err" || fail "run -o under a file: message '$(tail -1 "$TMP/err")'"
# forbidding everything: text only, no files
rm -rf "$TMP/out2" && mkdir -p "$TMP/out2"
"$BIN" run -m "$B" -p "hello" -n 4 --temp 0 --forbid image --forbid audio --forbid video -o "$TMP/out2" --json \
    >"$TMP/run2.json" 2>"$TMP/err" || fail "run --forbid: $(tail -1 "$TMP/err")"
[[ -z "$(ls "$TMP/out2")" ]] || fail "files written although every modality is forbidden"
# a generator whose width does not fit the output projector is refused by name
sed 's/"audio": "fc_aud.gguf"/"audio": "fc_img.gguf"/' "$B/bundle.json" >"$B/bad.json"
"$BIN" run -m "$B/bad.json" -p hi >/dev/null 2>"$TMP/err" && fail "mismatched audio projector accepted"
grep -qF "audio output projector" "$TMP/err" || fail "mismatch message: $(tail -1 "$TMP/err")"
# an LLM without the signal tokens
"$BIN" bench random-llm --shape tiny --vocab "$SHARED/fixtures/vocab/ggml-vocab-llama-spm.gguf" --add-token "<Img>" \
    --add-token "</Img>" -o "$B/plain.gguf" 2>/dev/null
sed 's/"llm.gguf"/"plain.gguf"/' "$B/bundle.json" >"$B/nosig.json"
"$BIN" run -m "$B/nosig.json" -p hi >/dev/null 2>"$TMP/err" && fail "LLM without signal tokens accepted"
grep -qF "signal tokens" "$TMP/err" || fail "no-signal message: $(tail -1 "$TMP/err")"
# multi-turn chat through the bundle: media attached with /image, a forced image in turn 2,
# a forced sound in turn 3; the files are numbered across the conversation
mkdir -p "$TMP/chat"
printf '/image %s\nWhat is this?\n/force image\nDraw it.\n/force audio\nAnd a sound.\n/quit\n' "$IMG" |
    "$BIN" chat -m "$B" -n 4 --temp 0 -o "$TMP/chat" >"$TMP/chat.out" 2>"$TMP/err" || fail "chat: $(tail -1 "$TMP/err")"
[[ -f "$TMP/chat/reply-1.png" && -f "$TMP/chat/reply-2.wav" ]] || fail "chat files: $(ls "$TMP/chat") / $(tail -3 "$TMP/chat.out")"
grep -q "reply-1.png" "$TMP/chat.out" || fail "chat did not print the image path"
if [[ $fails -gt 0 ]]; then echo "nextgpt_run: $fails failure(s)"; exit 1; fi
echo "nextgpt_run: all checks passed"
