#!/usr/bin/env bash
# uv (installed with pip if missing), then the locked dependencies into .venv.
set -euo pipefail
export UV_PYTHON_DOWNLOADS=never
if ! command -v uv >/dev/null; then
  echo "python-deps: installing uv with pip"
  python3 -m pip install --quiet uv
fi
uv sync --locked --all-groups --quiet
