#!/usr/bin/env bash
# Create (or update) the Python reference environment used by tools/ref/make_golden_*.py.
#
#   bash tools/ref/setup_venv.sh            # -> <repo>/.venv-ref
#   A2A_REF_VENV=/some/dir bash tools/ref/setup_venv.sh
#
# Idempotent: an existing venv is reused and pip only installs what is missing.
# torch is used on the CPU only. Its PyPI wheel for Linux depends on ~3 GB of nvidia-*
# CUDA packages that the CPU code never loads, so torch is installed with --no-deps and
# its pure-Python dependencies are installed explicitly; the script then checks that
# torch imports and computes. If that check fails it falls back to the full install.
# Versions are pinned in tools/ref/requirements.txt (the ones last verified to work).
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
"${pip[@]}" install -q --upgrade pip >/dev/null || true

# torch pinned line from requirements.txt (e.g. "torch==2.5.1"), installed without its CUDA deps.
torch_spec="$(grep -E '^torch([=<>! ]|$)' "$req" | head -n1 | sed 's/[[:space:]]*#.*//')"
torch_spec="${torch_spec:-torch}"

# Everything except torch, with dependencies.
others="$(mktemp)"
trap 'rm -f "$others"' EXIT
grep -vE '^[[:space:]]*(#|$)' "$req" | grep -vE '^torch([=<>! ]|$)' >"$others" || true

echo "setup_venv: installing $(tr '\n' ' ' <"$others")"
"${pip[@]}" install -r "$others"

if ! "$venv/bin/python" -c "import torch" >/dev/null 2>&1; then
    echo "setup_venv: installing $torch_spec (no CUDA dependencies)"
    "${pip[@]}" install --no-deps "$torch_spec"
fi

check='import torch; a=torch.randn(2,dtype=torch.float64); print("torch", torch.__version__, "ok:", float(a@a) >= 0)'
if ! "$venv/bin/python" -c "$check"; then
    echo "setup_venv: torch without its CUDA packages does not import; installing the full wheel" >&2
    "${pip[@]}" install "$torch_spec"
    "$venv/bin/python" -c "$check"
fi

"$venv/bin/python" -c 'import numpy, gguf, safetensors; print("numpy", numpy.__version__, "gguf", gguf.__version__ if hasattr(gguf, "__version__") else "?", "safetensors", safetensors.__version__)'
echo "setup_venv: ready: $venv (activate with: source $venv/bin/activate)"
