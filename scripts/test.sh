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
if [ "$#" -gt 0 ]; then  # a chosen part of the suite: one pytest process
  echo "== pytest"
  exec .venv/bin/pytest "$@"
fi

# The whole suite as two pytest processes side by side, one per core: the suites that start
# whole stacks (processes, NATS, S3, browsers) and everything else. Each process runs its part
# in one process (no pytest-xdist: under it some tests were silently never run).
STACK_SUITES=(tests/e2e tests/scaleout tests/ops tests/faults tests/tracing tests/devstack)
ignores=()
for suite in "${STACK_SUITES[@]}"; do ignores+=("--ignore=$suite"); done
mkdir -p var/test-logs
stack_log=var/test-logs/stack-suites.log
echo "== pytest: the whole-stack suites in the background (${STACK_SUITES[*]}; $stack_log)"
# Starting a stack shares the cores with the other process: allow its first test longer.
CAMWATCH_STACK_STARTUP_TIMEOUT="${CAMWATCH_STACK_STARTUP_TIMEOUT:-600}" \
  .venv/bin/pytest -p no:cacheprovider -o timeout=900 --durations=25 "${STACK_SUITES[@]}" >"$stack_log" 2>&1 &
stack_pid=$!
trap 'kill "$stack_pid" 2>/dev/null || true' INT TERM EXIT
echo "== pytest: everything else"
set +e
.venv/bin/pytest --durations=40 "${ignores[@]}"
rest=$?
wait "$stack_pid"
stack=$?
set -e
trap - INT TERM EXIT
echo "== pytest: the whole-stack suites"
cat "$stack_log"
echo "== pytest exit codes: everything else $rest, whole-stack suites $stack"
[ "$rest" -eq 0 ] && [ "$stack" -eq 0 ]
