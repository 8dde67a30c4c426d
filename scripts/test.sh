#!/usr/bin/env bash
# Set up, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
"${POSEFIELD_VENV:-.venv}/bin/python" -m pytest "$@"
