#!/usr/bin/env bash
# deptry on every workspace package: each declares exactly what its src/ imports (no unused,
# missing or merely transitive dependency). Tests and migrations are left out: they run with
# the root dev group.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for package in servicekit devkit gateway services/*; do
  [ -f "$package/pyproject.toml" ] || continue
  # Workspace members are installed editable, so their distribution names (camwatch-x) can
  # not be traced to their modules (x) from the installed files.
  .venv/bin/deptry "$package/src" --config "$package/pyproject.toml" \
    --package-module-name-map "camwatch-servicekit=servicekit,camwatch-registry=registry" \
    || status=1
done
exit "$status"
