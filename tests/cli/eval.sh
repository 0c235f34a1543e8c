#!/usr/bin/env bash
# `any2any eval` end to end on a tiny bundle (random LLaMA with NExT-GPT's added tokens, tiny
# ImageBind + projector, output projectors, tiny SD / Zeroscope / AudioLDM; the tiny ImageBind
# with a CLIP vocabulary as the judge) and a tiny evaluation set written here: the numbers are
# meaningless with random weights, but every section must run and print its table (and JSON);
# bad input -- a missing set, corrupt JSON, a missing media file, a missing judge, an unknown
# attribute value -- must give a clear message and a non-zero status.
# Usage: bash eval.sh /path/to/any2any /path/to/source
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
g="$SRC/tests/golden"
tokens=(--add-token "<Img>" --add-token "</Img>")
for i in 0 1 2 3; do tokens+=(--add-token "[IMG$i]"); done
for i in $(seq 0 23); do tokens+=(--add-token "[VID$i]"); done
for i in $(seq 0 7); do tokens+=(--add-token "[AUD$i]"); done
q "$BIN" bench random-llm --shape tiny --f32 --vocab "$SHARED/fixtures/vocab/ggml-vocab-llama-spm.gguf" "${tokens[@]}" -o "$B/llm.gguf"
q "$BIN" convert --imagebind "$g/imagebind/tiny.pth" -o "$B/enc.gguf" --type f32 --n-head 2
q "$BIN" convert --projector linear "$g/mm/nextgpt_delta_tiny.pt" -o "$B/proj.gguf" --type f32
for m in image audio video; do
    q "$BIN" convert --output-projector $m "$g/mm/nextgpt_delta_gen.pt" -o "$B/fc_$m.gguf" --type f32 --n-head 2
done
q "$BIN" convert --diffusers "$g/t2v/tiny" -o "$B/t2v.gguf"
q "$BIN" convert --diffusers "$g/sd/tiny" -o "$B/sd.gguf"
q "$BIN" convert --diffusers "$g/audioldm/tiny" -o "$B/aldm.gguf"
cat >"$B/bundle.json" <<'J'
{"format": "any2any-bundle", "version": 1, "llm": "llm.gguf", "encoder": "enc.gguf", "input_projector": "proj.gguf",
 "output_projectors": {"image": "fc_image.gguf", "audio": "fc_audio.gguf", "video": "fc_video.gguf"},
 "generators": {"image": "sd.gguf", "audio": "aldm.gguf", "video": "t2v.gguf"}, "prompt_format": "nextgpt"}
J
# the evaluation set, in the bundle's default place (BUNDLE/eval) with its judge
E="$B/eval"
mkdir -p "$E/img" "$E/aud" "$E/vid"
cp "$g/imagebind/image.png" "$E/img/0001.png"
cp "$SRC/tests/media/data/audio/tones_44k_stereo_s16.wav" "$E/aud/0001.wav"
cp "$SRC/tests/media/data/video_ib/square_48x48_4fps_5s.mp4" "$E/vid/0001.mp4"
q "$BIN" convert --imagebind "$g/imagebind/tiny.pth" -o "$E/judge.gguf" --type f32 --n-head 2 --bpe "$g/clip_tok/bpe_simple_vocab_16e6.txt.gz"
cat >"$E/eval.json" <<'J'
{"format": "any2any-eval", "version": 1,
 "understand": [
  {"id": "img-0001", "media": "image", "file": "img/0001.png", "question": "Describe the picture.",
   "expect": {"shape": "circle", "colour": "red", "count": "one"}},
  {"id": "vid-0001", "media": "video", "file": "vid/0001.mp4", "question": "Which way does it move?", "expect": {"direction": "left"}},
  {"id": "aud-0001", "media": "audio", "file": "aud/0001.wav", "question": "Which note is it?", "expect": {"note": "A"}}],
 "generate": [
  {"id": "gen-image-01", "modality": "image", "prompt": "Draw two red circles.", "expect": {"shape": "circle", "colour": "red", "count": "two"}},
  {"id": "gen-video-01", "modality": "video", "prompt": "Animate a blue star moving up.", "expect": {"shape": "star", "colour": "blue", "direction": "up"}},
  {"id": "gen-audio-01", "modality": "audio", "prompt": "Play a sine tone playing the note C.", "expect": {"note": "C"}},
  {"id": "gen-audio-02", "modality": "audio", "prompt": "Let me hear a voice saying hello.", "expect": {"word": "hello"}}],
 "choice": [
  {"id": "choice-001", "prompt": "Draw a red circle.", "expect": "image"},
  {"id": "choice-002", "prompt": "Thank you.", "expect": "none"}],
 "labels": {
  "image": [{"text": "two red circles", "attrs": {"shape": "circle", "colour": "red", "count": "two"}},
            {"text": "a blue star", "attrs": {"shape": "star", "colour": "blue", "count": "one"}}],
  "video": [{"text": "a blue star moving up", "attrs": {"shape": "star", "colour": "blue", "direction": "up"}},
            {"text": "a red circle moving left", "attrs": {"shape": "circle", "colour": "red", "direction": "left"}}],
  "audio": [{"text": "a voice saying hello", "attrs": {"word": "hello"}},
            {"text": "a sine tone playing the note C", "attrs": {"note": "C", "timbre": "sine"}}]},
 "attributes": {"colour": ["red", "blue"], "shape": ["circle", "star"], "count": ["one", "two", "three"],
                "direction": ["left", "up"], "word": ["hello", "no"], "note": ["C", "A"], "timbre": ["sine"]}}
J
GEN=(--steps 2 --width 16 --height 16 --frames 4 --seconds 0.3 -n 8 -t 2)

# 1. the whole evaluation: a table with every section and the three targets
if "$BIN" eval -m "$B" "${GEN[@]}" >"$TMP/table.txt" 2>"$TMP/err"; then
    for want in "understand  image  shape" "understand  video  direction" "understand  audio  note" \
                "generate    image  span" "choice      image  span" "choice      none   no span" \
                "(1) media -> text" "(2) text -> media" "(3) modality choice" "elapsed"; do
        grep -qF -- "$want" "$TMP/table.txt" || fail "table lacks '$want': $(cat "$TMP/table.txt")"
    done
else
    fail "eval: $(tail -3 "$TMP/err")"
fi

# 2. --force makes every generate case produce its media, which the judge and the pitch detector
#    then score (16x16 images, 4-frame videos, 0.3 s sounds); --json for machines
if "$BIN" eval -m "$B/bundle.json" --set "$E" --judge "$E/judge.gguf" --force --only generate "${GEN[@]}" --json \
    >"$TMP/gen.json" 2>"$TMP/err"; then
    python3 - "$TMP/gen.json" <<'P' || fail "eval --force --json: bad result: $(cat "$TMP/gen.json")"
import json, sys
r = json.load(open(sys.argv[1]))
rows = {(x["section"], x["media"], x["attribute"]): x for x in r["rows"]}
for m in ("image", "video", "audio"):
    assert rows[("generate", m, "span (forced)")]["correct"] == rows[("generate", m, "span (forced)")]["total"] > 0, rows
assert rows[("generate", "image", "count")]["total"] == 1 and rows[("generate", "video", "direction")]["total"] == 1, rows
assert rows[("generate", "audio", "note (pitch)")]["total"] == 1 and rows[("generate", "audio", "word")]["total"] == 1, rows
assert r["sections"]["generate"]["cases"] == 4 and r["sections"]["understand"]["cases"] == 0, r["sections"]
assert len(r["cases"]) == 4 and "judge:" in r["cases"][0]["verdict"], r["cases"]
assert not r["interrupted"]
P
else
    fail "eval --force: $(tail -3 "$TMP/err")"
fi

# 3. --limit and --only; the set without the judge is fine when nothing is generated
"$BIN" eval -m "$B" --set "$E" --judge "$TMP/none.gguf" --only choice --limit 1 -n 4 --json >"$TMP/c.json" 2>"$TMP/err" ||
    fail "eval --only choice: $(tail -2 "$TMP/err")"
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['sections']['choice']['cases']==1, r" "$TMP/c.json" ||
    fail "--limit 1: $(cat "$TMP/c.json")"

# 4. --only judge (= --check-judge alone): the judge and the pitch detector on the set's real media
if "$BIN" eval -m "$B" --only judge -t 2 --json >"$TMP/j.json" 2>"$TMP/err"; then
    python3 - "$TMP/j.json" <<'P' || fail "eval --only judge: bad result: $(cat "$TMP/j.json")"
import json, sys
r = json.load(open(sys.argv[1]))
rows = {(x["section"], x["media"], x["attribute"]): x["total"] for x in r["rows"]}
assert rows == {("judge", "image", "shape"): 1, ("judge", "image", "colour"): 1, ("judge", "image", "count"): 1,
                ("judge", "video", "direction"): 1, ("judge", "audio", "note (pitch)"): 1}, rows
P
else
    fail "eval --only judge: $(tail -3 "$TMP/err")"
fi

# 5. bad input: clear message, non-zero status
expect_fail() { # expected-message args...
    local msg="$1"
    shift
    if "$BIN" eval "$@" >"$TMP/out" 2>"$TMP/err"; then
        fail "eval $* succeeded"
    elif ! grep -qF -- "$msg" "$TMP/err"; then
        fail "eval $*: message lacks '$msg': $(cat "$TMP/err")"
    fi
}
expect_fail "is not a directory" -m "$B" --set "$TMP/nope"
mkdir -p "$TMP/bad"
printf '{"understand": [' >"$TMP/bad/eval.json"
expect_fail "json" -m "$B" --set "$TMP/bad"
sed 's#img/0001.png#img/missing.png#' "$E/eval.json" >"$TMP/bad/eval.json"
cp -r "$E/img" "$E/aud" "$E/vid" "$TMP/bad/"
expect_fail "img/missing.png is missing" -m "$B" --set "$TMP/bad"
sed 's#"expect": {"direction": "left"}#"expect": {"direction": "sideways"}#' "$E/eval.json" >"$TMP/bad/eval.json"
expect_fail "'sideways' is not a value of attribute 'direction'" -m "$B" --set "$TMP/bad"
cp "$E/eval.json" "$TMP/bad/eval.json"
expect_fail "judge.gguf is missing" -m "$B" --set "$TMP/bad"
expect_fail "judge" -m "$B" --set "$E" --judge "$B/llm.gguf" --only generate
expect_fail "usage" --set "$E"
"$BIN" eval -m "$B" --only smell >/dev/null 2>&1
[[ $? == 2 ]] || fail "--only smell: want status 2"

if ((fails)); then
    echo "eval.sh: $fails failure(s)" >&2
    exit 1
fi
echo "eval.sh: ok"
