#!/usr/bin/env bash
# Debian packages the test suite needs: Chromium for the browser test, fonts for PDF checks,
# pg_dump / pg_restore for the backup tests.
# Installs only what is missing; needs root (as on CI and the developers' machines).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pg_dump >/dev/null 2>&1 || need+=(postgresql-client)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "system-packages: missing ${need[*]} and not root; install them with apt-get" >&2
  exit 1
fi
echo "system-packages: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
