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

# The whole suite as four pytest processes side by side: the browser journeys on one shared
# stack, the suites that start stacks of their own (faults, scale-out, restore drill, traces,
# dev stack), the runs on PostgreSQL, and everything else. Much of the suite waits (processes
# starting, NATS, S3, PostgreSQL, browsers), so four processes keep two cores busy. Each part
# runs in one process (no pytest-xdist: under it some tests were silently never run); every
# test belongs to exactly one part (`-k postgresql` and `-k "not postgresql"` split the rest).
STACK_SUITES=(tests/e2e tests/scaleout tests/ops tests/faults tests/tracing tests/devstack)
ignores=()
for suite in "${STACK_SUITES[@]}"; do ignores+=("--ignore=$suite"); done
names=("browser journeys (tests/e2e)" "stacks of their own (${STACK_SUITES[*]:1})"
  "PostgreSQL runs" "everything else")
logs=(var/test-logs/e2e.log var/test-logs/stacks.log var/test-logs/postgresql.log
  var/test-logs/rest.log)
mkdir -p var/test-logs
# Starting a stack shares the cores with the other processes: allow it longer.
export CAMWATCH_STACK_STARTUP_TIMEOUT="${CAMWATCH_STACK_STARTUP_TIMEOUT:-600}"
stack_options=(-p no:cacheprovider -o timeout=900 --durations=15)
pids=()
run_part() {  # index, pytest arguments...
  local index=$1
  shift
  echo "== pytest: ${names[$index]} (${logs[$index]})"
  .venv/bin/pytest "$@" >"${logs[$index]}" 2>&1 &
  pids+=($!)
}
trap 'kill "${pids[@]}" 2>/dev/null || true' INT TERM EXIT
run_part 0 "${stack_options[@]}" tests/e2e
run_part 1 "${stack_options[@]}" "${STACK_SUITES[@]:1}"
run_part 2 --durations=15 -k postgresql "${ignores[@]}"
run_part 3 --durations=15 -k "not postgresql" "${ignores[@]}"
codes=()
set +e
for index in "${!pids[@]}"; do
  wait "${pids[$index]}"
  codes+=($?)
  echo "== pytest: ${names[$index]}"
  cat "${logs[$index]}"
done
set -e
trap - INT TERM EXIT
failed=0
for index in "${!codes[@]}"; do
  echo "== pytest exit code: ${names[$index]}: ${codes[$index]}"
  [ "${codes[$index]}" -eq 0 ] || failed=1
done
[ "$failed" -eq 0 ]
