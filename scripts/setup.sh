#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment and install posefield with its test extras.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${POSEFIELD_VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
# torch first, pinned: the CPU wheel (a bare "torch" could pull a multi-GB GPU build).
"$VENV/bin/python" -m pip install -q --disable-pip-version-check torch==2.13.0
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]'
