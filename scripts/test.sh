#!/usr/bin/env bash
# The whole suite: lint, types, then every test (unit, integration against real NATS / S3 /
# SQLite and PostgreSQL when reachable, contracts, schemathesis, the browser test).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== ruff"
.venv/bin/ruff check .
echo "== deptry"
scripts/check_deps.sh
echo "== import contracts"
.venv/bin/lint-imports
echo "== mypy"
.venv/bin/mypy servicekit/src devkit/src gateway/src services/*/src
echo "== spa (type check and build, Vitest)"
scripts/build_spa.sh --test
echo "== pytest"
.venv/bin/pytest "$@"
