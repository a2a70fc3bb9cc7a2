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

# The whole suite as four pytest processes side by side. Much of it waits (processes starting,
# NATS, S3, PostgreSQL, browsers), so four processes keep two cores busy: the browser journeys
# on one shared stack with the gateway's tests; the suites that start stacks of their own
# (faults, scale-out, restore drill, traces, dev stack) with the deployment checks and the dev
# kit's tests; the runs on PostgreSQL; and everything else (the two last split by
# `-k postgresql` / `-k "not postgresql"`). Each part runs in one process (no pytest-xdist:
# under it some tests were silently never run); every test belongs to exactly one part.
JOURNEYS=(tests/e2e gateway/tests)
STACKS=(tests/deploy devkit/tests tests/scaleout tests/ops tests/faults tests/tracing tests/devstack)
# The other two parts take pyproject's test paths but those above (`--ignore` only skips what
# pytest recurses into, never a path it is given, so the paths are named here).
REST=(servicekit/tests services tests)
rest=("${REST[@]}")
for suite in "${JOURNEYS[@]}" "${STACKS[@]}"; do
  case "$suite" in tests/*) rest+=("--ignore=$suite") ;; esac
done
# A test path added to pyproject but to no part would silently not run: refuse that.
.venv/bin/python - "${JOURNEYS[@]}" "${STACKS[@]}" "${REST[@]}" <<'PY'
import sys
import tomllib

with open("pyproject.toml", "rb") as f:
    paths = tomllib.load(f)["tool"]["pytest"]["ini_options"]["testpaths"]
if missing := [p for p in paths if p not in sys.argv[1:]]:
    sys.exit(f"scripts/test.sh: test paths in no part: {missing}")
PY
names=("browser journeys and the gateway (${JOURNEYS[*]})" "stacks of their own (${STACKS[*]})"
  "PostgreSQL runs" "everything else")
logs=(var/test-logs/journeys.log var/test-logs/stacks.log var/test-logs/postgresql.log
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
run_part 0 "${stack_options[@]}" "${JOURNEYS[@]}"
run_part 1 "${stack_options[@]}" "${STACKS[@]}"
run_part 2 -p no:cacheprovider --durations=15 -k postgresql "${rest[@]}"
run_part 3 --durations=15 -k "not postgresql" "${rest[@]}"
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
