#!/usr/bin/env bash
# Install the system packages any2any needs to build and test (Debian/Ubuntu).
# Idempotent: does nothing when everything is present. Usage: scripts/deps.sh [--fuzz]
set -euo pipefail
need=()
have() { dpkg -s "$1" >/dev/null 2>&1; }
for p in build-essential cmake ninja-build libopenblas-dev libreadline-dev libpng-dev libjpeg62-turbo-dev libwebp-dev libgif-dev libsndfile1-dev libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libswresample-dev zlib1g-dev pkg-config python3; do have "$p" || need+=("$p"); done
if [[ "${1:-}" == "--fuzz" ]]; then
  for p in clang libclang-rt-14-dev; do have "$p" || need+=("$p"); done
fi
if ((${#need[@]})); then
  echo "deps: installing ${need[*]}" >&2
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
