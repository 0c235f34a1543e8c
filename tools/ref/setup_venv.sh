#!/usr/bin/env bash
# Create (or update) the Python reference environment used by tools/ref/make_golden_*.py.
#
#   bash tools/ref/setup_venv.sh                     # -> <repo>/.venv-ref
#   A2A_REF_VENV=/some/dir bash tools/ref/setup_venv.sh
#
# Idempotent: an existing venv is reused and pip skips what is already installed at the
# pinned version. Packages and versions come from tools/ref/requirements.txt.
#
# torch: CPU use only. Set A2A_REF_TORCH_NODEPS=1 to try `pip install --no-deps torch`
# (skips the ~3 GB of nvidia-* CUDA packages); the script checks that torch imports and
# computes and falls back to the full install if not. With torch 2.15 the no-deps variant
# does not import (it preloads libcudart at import), so the default is the full install.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${A2A_REF_VENV:-$root/.venv-ref}"
req="$here/requirements.txt"
py="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    echo "setup_venv: creating $venv"
    "$py" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check)

check='import torch; a=torch.randn(2,dtype=torch.float64); print("setup_venv: torch", torch.__version__, "computes:", bool(torch.isfinite(a@a)))'

if [ "${A2A_REF_TORCH_NODEPS:-0}" = "1" ]; then
    torch_spec="$(grep -E '^torch==' "$req" | head -n1)"
    others="$(mktemp)"
    trap 'rm -f "$others"' EXIT
    grep -vE '^[[:space:]]*(#|$)' "$req" | grep -vE '^torch==' >"$others" || true
    "${pip[@]}" install -r "$others"
    "${pip[@]}" install --no-deps "${torch_spec:-torch}"
    if ! "$venv/bin/python" -c "$check"; then
        echo "setup_venv: torch without its CUDA packages does not import; installing the full wheel" >&2
        "${pip[@]}" install -r "$req"
    fi
else
    "${pip[@]}" install -r "$req"
fi

# ImageBind and its helpers without their dependency pins (see requirements.txt)
"${pip[@]}" install --no-deps imagebind-packaged==0.1.2 timm==1.0.31 einops==0.8.2 ftfy==6.3.1 iopath==0.1.10 portalocker wcwidth
"$venv/bin/python" -c "$check"
"$venv/bin/python" -c 'import numpy, gguf, safetensors; print("setup_venv: numpy", numpy.__version__, "safetensors", safetensors.__version__, "gguf ok")'
echo "setup_venv: ready: $venv"
