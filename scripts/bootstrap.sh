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
