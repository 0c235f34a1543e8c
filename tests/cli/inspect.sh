#!/usr/bin/env bash
# any2any inspect: real GGUF vocab files, the committed Python-written samples, and hostile
# inputs (missing, empty, garbage, truncated) that must exit non-zero with a message, no crash.
# Usage: bash inspect.sh /path/to/any2any /path/to/source
set -u
BIN="$1"
SRC="$2"
SHARED="$SRC/../shared"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fails=0

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# expect_ok FILE PATTERN... : exit 0 and every pattern (grep -F) in stdout
expect_ok() {
    local f="$1"; shift
    if ! "$BIN" inspect "$f" >"$TMP/out" 2>"$TMP/err"; then
        fail "inspect $f exited non-zero: $(cat "$TMP/err")"; return
    fi
    for p in "$@"; do
        grep -qF -- "$p" "$TMP/out" || fail "inspect $f: output lacks '$p'"
    done
}

# expect_err FILE PATTERN : exit status 1 (not a signal), message on stderr containing PATTERN
expect_err() {
    local f="$1" p="$2" rc
    "$BIN" inspect "$f" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    [ "$rc" -eq 1 ] || fail "inspect $f: exit status $rc, expected 1 ($(cat "$TMP/err"))"
    grep -qF -- "$p" "$TMP/err" || fail "inspect $f: stderr lacks '$p': $(cat "$TMP/err")"
}

LLAMA="$SHARED/fixtures/vocab/ggml-vocab-llama-spm.gguf"
GPT2="$SHARED/fixtures/vocab/ggml-vocab-gpt-2.gguf"
expect_ok "$LLAMA" "format: gguf version 3" 'tokenizer.ggml.model                     str = "llama"' \
    "tokenizer.ggml.tokens                    arr[str,32000] = [\"<unk>\", \"<s>\"" "(31992 more)" \
    "tokenizer.ggml.add_bos_token             bool = true" "total: 0 tensors"
expect_ok "$GPT2" 'tokenizer.ggml.model                     str = "gpt2"' "arr[str,50000]"
expect_ok "$SRC/tests/golden/io/py_sample.gguf" "shape is in ggml order" \
    'sample.note                              str = "quote \" and newline \n and' \
    "arr[i32,3] = [1, -2, 3]" "token_embd.weight" "[8, 5]" "blk.0.ffn.weight" "[16, 3, 2]" \
    "total: 3 tensors, 143 parameters, 380 bytes"
expect_ok "$SRC/tests/golden/io/py_sample.safetensors" "format: safetensors" 'format                                   str = "pt"' \
    "model.embed.weight" "[6, 4]" "raw dtype" "total: 11 tensors"

# PyTorch zip checkpoints (reader in src/io/torch_ckpt.c; samples from tools/ref/make_golden_torch.py)
if [ -f "$SRC/tests/golden/torch/plain.pt" ]; then
    expect_ok "$SRC/tests/golden/torch/plain.pt" "format: pytorch zip checkpoint" "fc.weight" "[4, 3]" \
        "total: 6 tensors, 78 parameters, 312 bytes"
fi
if [ -f "$SRC/tests/golden/torch/malicious.pt" ]; then
    expect_err "$SRC/tests/golden/torch/malicious.pt" "refusing global"
fi

# hostile inputs
expect_err "$TMP/does-not-exist.gguf" "cannot open"
: >"$TMP/empty"
expect_err "$TMP/empty" "unrecognized file format"
head -c 4096 /dev/urandom >"$TMP/garbage" 2>/dev/null || printf 'garbage garbage garbage' >"$TMP/garbage"
printf 'XXXX' | dd of="$TMP/garbage" bs=1 seek=0 conv=notrunc 2>/dev/null
expect_err "$TMP/garbage" "unrecognized file format"
printf 'GGUF\x03\x00\x00\x00' >"$TMP/short.gguf"
expect_err "$TMP/short.gguf" "truncated"
head -c 1000 "$LLAMA" >"$TMP/trunc.gguf"
expect_err "$TMP/trunc.gguf" "gguf:"
head -c 700000 "$LLAMA" >"$TMP/trunc2.gguf"
expect_err "$TMP/trunc2.gguf" "gguf:"
head -c 500 "$SRC/tests/golden/io/py_sample.safetensors" >"$TMP/trunc.safetensors"
expect_err "$TMP/trunc.safetensors" "safetensors: header length 816 exceeds the file (500 bytes)"
head -c 1000 "$SRC/tests/golden/io/py_sample.safetensors" >"$TMP/trunc2.safetensors"
expect_err "$TMP/trunc2.safetensors" "safetensors:"
# a key carrying a terminal escape sequence is refused, and the message does not echo it
printf 'GGUF\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00' >"$TMP/esc.gguf"
printf '\x07\x00\x00\x00\x00\x00\x00\x00a\x1b[31mb\x04\x00\x00\x00\x07\x00\x00\x00' >>"$TMP/esc.gguf"
expect_err "$TMP/esc.gguf" "metadata key 0 at byte 32 contains a control character (0x1b at position 1)"
if grep -q $'\x1b' "$TMP/err"; then fail "raw escape character in the error message"; fi

# every prefix of the small GGUF sample: exit 0 or 1, never a crash
size=$(wc -c <"$SRC/tests/golden/io/py_sample.gguf")
for n in $(seq 0 7 "$size"); do
    head -c "$n" "$SRC/tests/golden/io/py_sample.gguf" >"$TMP/p.gguf"
    "$BIN" inspect "$TMP/p.gguf" >/dev/null 2>&1
    rc=$?
    [ "$rc" -le 1 ] || fail "prefix $n of py_sample.gguf: exit status $rc"
done
# usage error
"$BIN" inspect >/dev/null 2>&1 && fail "inspect without a file succeeded"

if [ "$fails" -ne 0 ]; then
    echo "inspect.sh: $fails failure(s)" >&2
    exit 1
fi
echo "inspect.sh: all checks passed"
