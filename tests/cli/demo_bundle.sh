#!/usr/bin/env bash
# The shipped demo bundle (models/demo) against its PyTorch reference: for every step of the main
# job's session (models/demo/examples/expected.json, written by tools/demo/make_expected.py from
# the trained PyTorch models before conversion), `any2any run --temp 0` must give the same reply
# text and the same signal spans, and every span must come out as a real file (PNG / WAV / MP4
# read back by ffprobe when it is installed). Then a few held-out evaluation cases run through
# `any2any eval`, which must finish and print its table.
# Usage: bash demo_bundle.sh /path/to/any2any /path/to/source
set -u
BIN="$1"
SRC="$2"
M="$SRC/models/demo"
EX="$M/examples"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
[[ -f $M/bundle.json && -f $EX/expected.json ]] || { echo "FAIL: $M has no bundle.json / examples/expected.json" >&2; exit 1; }
command -v python3 >/dev/null || { echo "FAIL: python3 is needed to read the expected replies" >&2; exit 1; }

n=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$EX/expected.json")
for ((i = 0; i < n; i++)); do
  mapfile -t args < <(python3 -c "import json,sys; [print(a) for a in json.load(open(sys.argv[1]))[int(sys.argv[2])]['args']]" "$EX/expected.json" "$i")
  for j in "${!args[@]}"; do  # media paths are relative to the examples folder
    [[ ${args[$j]} == --image || ${args[$j]} == --audio || ${args[$j]} == --video ]] && args[$((j + 1))]="$EX/${args[$((j + 1))]}"
  done
  out="$TMP/out$i"
  mkdir -p "$out"
  if ! "$BIN" run -m "$M" --temp 0 -n 48 --json -t 2 -o "$out" "${args[@]}" >"$TMP/r.json" 2>"$TMP/err"; then
    fail "run ${args[*]}: $(tail -1 "$TMP/err")"
    continue
  fi
  python3 - "$EX/expected.json" "$i" "$TMP/r.json" "$out" <<'PY' || fails=$((fails + 1))
import json, os, subprocess, shutil, sys
exp = json.load(open(sys.argv[1]))[int(sys.argv[2])]
got = json.load(open(sys.argv[3]))
norm = lambda s: " ".join(s.split())
ok = True
if norm(got["text"]) != norm(exp["reply"]):
    print(f"FAIL: {exp['args']}: reply {got['text']!r}, PyTorch {exp['reply']!r}", file=sys.stderr); ok = False
ext = {"image": ".png", "audio": ".wav", "video": ".mp4"}
files = got.get("files", [])
kinds = sorted(m for m in ext for f in files if f.endswith(ext[m]))
if kinds != sorted(exp["spans"]):
    print(f"FAIL: {exp['args']}: files {files}, PyTorch spans {exp['spans']}", file=sys.stderr); ok = False
for f in files:
    p = f if os.path.isabs(f) else os.path.join(sys.argv[4], os.path.basename(f))
    if not os.path.exists(p) or os.path.getsize(p) == 0:
        print(f"FAIL: {exp['args']}: {p} missing or empty", file=sys.stderr); ok = False
    elif shutil.which("ffprobe") and subprocess.run(["ffprobe", "-v", "error", p], capture_output=True).returncode:
        print(f"FAIL: {exp['args']}: ffprobe cannot read {p}", file=sys.stderr); ok = False
print(("ok   " if ok else "BAD  ") + " ".join(exp["args"]) + " => " + got["text"].strip())
sys.exit(0 if ok else 1)
PY
done

if "$BIN" eval -m "$M" --limit 2 -t 2 >"$TMP/eval.txt" 2>"$TMP/err"; then
  grep -qi "understand" "$TMP/eval.txt" || fail "eval printed no table: $(head -5 "$TMP/eval.txt")"
else
  fail "eval --limit 2: $(tail -1 "$TMP/err")"
fi

if ((fails)); then echo "demo_bundle: $fails failure(s)"; exit 1; fi
echo "demo_bundle: all ok"
