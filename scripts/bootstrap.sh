#!/usr/bin/env bash
# Create or update the project environment (.venv) from uv.lock. Needs only python3 >= 3.11.
# uv itself is installed from PyPI into .uv/ so nothing outside the checkout is touched.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .uv/bin/uv ]; then
  echo "bootstrap: installing uv into .uv/"
  python3 -m venv .uv
  .uv/bin/pip install --quiet --disable-pip-version-check "uv>=0.5"
fi
export UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=copy
.uv/bin/uv sync --frozen --all-packages --quiet
scripts/build_spa.sh

# Byte-compile what every process imports. Where PYTHONDONTWRITEBYTECODE is set (as on the
# CI machines) no process writes its .pyc, so without this each one compiled every module it
# imports from source: a service took 10-50 s to start on a loaded 2-core machine instead of
# a few (docs/reliability.md, "Where start-up time goes"). The installed packages are
# compiled again only when uv.lock changed; our own sources every time (only changed files
# are rewritten).
stamp=.venv/.bytecode-compiled
if [ ! -f "$stamp" ] || [ uv.lock -nt "$stamp" ]; then
  .venv/bin/python -m compileall -q -j 0 .venv/lib/python3*/site-packages >/dev/null
  touch "$stamp"
fi
.venv/bin/python -m compileall -q -j 0 servicekit/src devkit/src gateway/src services/*/src >/dev/null
