#!/usr/bin/env bash
# Debian packages the test suite needs: Chromium for the browser test, fonts for PDF checks,
# pg_dump / pg_restore for the backup tests; then the deployment tools (helm, see
# deploy-tools.sh). Installs only what is missing; needs root (as on CI and developers' machines).
set -euo pipefail
here="$(dirname "$0")"
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pg_dump >/dev/null 2>&1 || need+=(postgresql-client)
if [ ${#need[@]} -eq 0 ]; then
  exec "${here}/deploy-tools.sh"
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system-packages: missing ${need[*]} and not root; install them with apt-get" >&2
  exit 1
fi
echo "system-packages: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
"${here}/deploy-tools.sh"
