#!/usr/bin/env bash
# uv (installed with pip if missing), then the locked dependencies into .venv.
set -euo pipefail
export UV_PYTHON_DOWNLOADS=never
if ! command -v uv >/dev/null; then
  echo "python-deps: installing uv with pip"
  python3 -m pip install --quiet uv
fi
# Byte-compiled at install, the project's own modules too: Python reads .pyc files even where
# PYTHONDONTWRITEBYTECODE=1 (set on this machine) stops it writing them, which otherwise
# made every process (test workers, gunicorn and job workers, manage.py) compile every
# module it imports from source, at each start: loading the URLconf took 7.5 s instead of
# 2.9 s.
export UV_COMPILE_BYTECODE=1
uv sync --locked --all-groups --quiet
.venv/bin/python -m compileall -q -j 0 nuanxin tests bench manage.py >/dev/null
