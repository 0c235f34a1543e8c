#!/usr/bin/env bash
# Regenerate every golden reference file under tests/golden/ by running each
# tools/ref/make_golden_*.py with the reference venv (created/updated first by setup_venv.sh).
#
#   bash tools/ref/make_golden.sh                 # all generators
#   bash tools/ref/make_golden.sh ops             # only make_golden_ops.py
#   A2A_REF_SKIP_SETUP=1 bash tools/ref/make_golden.sh   # do not run setup_venv.sh
#
# The outputs are deterministic (seeded per case); `git status tests/golden` afterwards shows
# which references changed. Commit the regenerated files together with the script change.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${A2A_REF_VENV:-$root/.venv-ref}"

if [ "${A2A_REF_SKIP_SETUP:-0}" != "1" ]; then
    bash "$here/setup_venv.sh" >/dev/null
fi
py="$venv/bin/python"
[ -x "$py" ] || { echo "make_golden: no python at $py (run tools/ref/setup_venv.sh)" >&2; exit 1; }

cd "$root"
shopt -s nullglob
ran=0
for script in "$here"/make_golden_*.py; do
    name="$(basename "$script" .py)"
    name="${name#make_golden_}"
    if [ "$#" -gt 0 ]; then
        want=0
        for a in "$@"; do [ "$a" = "$name" ] && want=1; done
        [ "$want" = 1 ] || continue
    fi
    echo "make_golden: $name"
    PYTHONHASHSEED=0 "$py" "$script"
    ran=$((ran + 1))
done
[ "$ran" -gt 0 ] || { echo "make_golden: no generator matched: $*" >&2; exit 1; }
echo "make_golden: ran $ran generator(s); golden files:"
du -ch tests/golden/*/ 2>/dev/null | tail -n 1
