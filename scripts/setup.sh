#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment and install posefield with the extras the
# tests cover (test, view, image, mesh), then build the Anny body template once (cached).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${POSEFIELD_VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
# torch first, pinned: the CPU wheel (a bare "torch" could pull a multi-GB GPU build).
"$VENV/bin/python" -m pip install -q --disable-pip-version-check torch==2.13.0
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[test,view,image,mesh]'
# Building the Anny body takes minutes; once cached (posefield/body in the user cache folder) the
# mesh tests run on it instead of being skipped. A no-op when it is cached already.
"$VENV/bin/python" -c "from posefield.mesh.anny_body import load_anny_template; load_anny_template()"
