#!/usr/bin/env bash
# Set up, then run posefield's main job on the clip shipped in the package.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
"${POSEFIELD_VENV:-.venv}/bin/posefield" demo "$@"
