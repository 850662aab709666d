#!/usr/bin/env bash
# Install graph-mirage and its dependencies into the active Python.
# torch is installed first, pinned to 2.13.0, when it is missing: a requirement that admits a newer torch would
# otherwise pull a CUDA build of several GB. An existing torch is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c "import torch" >/dev/null 2>&1; then
    "$PY" -m pip install --quiet "torch==2.13.0"
fi
"$PY" -m pip install --quiet -e ".[test]"
# pyenv exposes new console scripts (`mirage`) only after a rehash
if command -v pyenv >/dev/null 2>&1; then pyenv rehash || true; fi
"$PY" -c "import graph_mirage, torch; print(f'graph-mirage {graph_mirage.__version__} ready (torch {torch.__version__})')"
