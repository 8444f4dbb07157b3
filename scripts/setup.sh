#!/usr/bin/env bash
# Create .venv with the pinned environment (requirements.lock) and ganlab installed from src/.
# Needs Python >= 3.10 and pip. Safe to rerun: an existing .venv is reused and brought up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -c 'import sys; assert sys.version_info >= (3, 10), "ganlab needs Python >= 3.10, found " + sys.version.split()[0]'
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
echo "setup done: activate with '. .venv/bin/activate'"
