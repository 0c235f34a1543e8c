#!/usr/bin/env bash
# any2any tokenize must reproduce the llama.cpp tokenizer test vectors exactly:
# each string of ../shared/fixtures/vocab/*.inp (separated by "\n__ggml_vocab_test__\n"),
# fed on stdin, prints the ids on the same line of the .out file (no BOS).
set -euo pipefail
bin=$1; src=$2
fixtures="$src/../shared/fixtures/vocab"
python3 - "$bin" "$fixtures" <<'PY'
import subprocess, sys, pathlib
binary, fixtures = sys.argv[1], pathlib.Path(sys.argv[2])
bad = total = 0
for inp in sorted(fixtures.glob("*.gguf.inp")):
    model = str(inp)[:-4]
    cases = inp.read_bytes().split(b"\n__ggml_vocab_test__\n")[:-1]
    expected = inp.with_suffix(".out").read_text().split("\n")
    for text, want in zip(cases, expected):
        total += 1
        r = subprocess.run([binary, "tokenize", "-m", model], input=text, capture_output=True)
        got = r.stdout.decode().strip()
        if r.returncode != 0 or got != want.strip():
            bad += 1
            print(f"MISMATCH {inp.name}: {text!r}\n  want: {want.strip()}\n  got:  {got} {r.stderr.decode()}")
print(f"tokenize fixtures: {total - bad}/{total} match")
# bad input: invalid UTF-8 and a non-GGUF model must fail cleanly
r = subprocess.run([binary, "tokenize", "-m", str(fixtures / "ggml-vocab-gpt-2.gguf")], input=b"ab\xc3(", capture_output=True)
if r.returncode == 0 or b"UTF-8" not in r.stderr:
    bad += 1; print("invalid UTF-8 was not rejected:", r)
r = subprocess.run([binary, "tokenize", "-m", str(fixtures / "ggml-vocab-gpt-2.gguf.inp")], input=b"x", capture_output=True)
if r.returncode == 0 or r.returncode > 2 or not r.stderr:
    bad += 1; print("non-GGUF model was not rejected cleanly:", r)
sys.exit(1 if bad or total < 80 else 0)
PY
