#!/usr/bin/env bash
# Build and run the whole any2any test suite:
#   1. AddressSanitizer + UndefinedBehaviorSanitizer build, all unit/op/io/golden/cli tests
#   2. libFuzzer build (clang), every fuzzer for A2A_FUZZ_SECONDS (default 30) as a ctest test
#   3. Release build, all tests — its ctest summary line ends the output.
# Exits non-zero if any stage fails. Set A2A_SKIP_SANITIZE=1 / A2A_SKIP_FUZZ=1 to skip stages locally.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)
fuzz_seconds=${A2A_FUZZ_SECONDS:-30}
bash scripts/deps.sh --fuzz || { echo "test: dependency install failed" >&2; exit 1; }
status=0

if [[ "${A2A_SKIP_SANITIZE:-0}" != 1 ]]; then
  echo "== sanitizers (ASan + UBSan) =="
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DA2A_SANITIZE=ON -DA2A_BUILD_BENCH=OFF >/dev/null &&
    ninja -C build-asan -j"$jobs" >build-asan.log 2>&1 || { tail -50 build-asan.log; echo "test: sanitizer build failed" >&2; exit 1; }
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan -j"$jobs" --output-on-failure -LE slow || status=1
fi

if [[ "${A2A_SKIP_FUZZ:-0}" != 1 ]]; then
  echo "== fuzzers (${fuzz_seconds}s each) =="
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DA2A_FUZZ=ON -DA2A_FUZZ_SECONDS="$fuzz_seconds" -DA2A_BUILD_TESTS=OFF -DA2A_BUILD_BENCH=OFF >/dev/null &&
    ninja -C build-fuzz -j"$jobs" >build-fuzz.log 2>&1 || { tail -50 build-fuzz.log; echo "test: fuzz build failed" >&2; exit 1; }
  ctest --test-dir build-fuzz -j"$jobs" --output-on-failure -L fuzz || status=1
fi

echo "== release =="
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null &&
  ninja -C build -j"$jobs" >build.log 2>&1 || { tail -50 build.log; echo "test: release build failed" >&2; exit 1; }
ctest --test-dir build -j"$jobs" --output-on-failure || status=1
exit $status
