#!/usr/bin/env bash
# Prints the Python 3.11 the project's virtualenv is built on: Debian's /usr/bin/python3.11
# when it is there, else the first python3.11 on PATH.
#
# Why Debian's: it is built with profile-guided and link-time optimisation and a static
# libpython, the interpreter a production install on Debian 12 runs (docs/deploy.md). A
# pyenv build with its defaults (--enable-shared, no --enable-optimizations), which this
# machine's PATH finds first, ran the MDS ingest hot path with 6 % more instructions and
# about 10 % more CPU time in paired runs (docs/benchmarks/ingest.md, session 9), so
# development, CI and the benchmarks use the same interpreter as production.
set -euo pipefail
for candidate in /usr/bin/python3.11 "$(command -v python3.11 || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] &&
    "$candidate" -c 'import sqlite3, ssl, sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    echo "$candidate"
    exit 0
  fi
done
echo "python-select: no Python 3.11 found (Debian 12: apt-get install python3.11)" >&2
exit 1
