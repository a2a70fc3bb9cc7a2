# syntax=docker/dockerfile:1.7
#
# One image per deployable, all from this file:
#   docker build --build-arg SERVICE=registry -t camwatch-registry .
# SERVICE is one of access, registry, incidents, risk, evidence, gateway, simulator (the
# demo traffic simulator of the dev tooling: --build-arg PACKAGE=camwatch-devkit
# --build-arg MODULE=devkit.simulator; only its own module is in the build context), or
# backup (the daily backup job: --build-arg PACKAGE=camwatch-servicekit
# --build-arg MODULE=servicekit.backup; it also carries pg_dump/pg_restore 16, from the
# PostgreSQL project's Debian repository at build time, matching the postgres:16 server).
# The gateway's image carries the SPA, built in its own stage from gateway/spa.
# The image runs `python -m <SERVICE> serve` as an unprivileged user and writes nowhere but
# /tmp, so it runs with a read-only root filesystem. Any other subcommand of the service's CLI
# is passed as arguments: `docker run camwatch-access migrate`.
#
# Secrets may be given as files: for each variable NAME__FILE=/path (double underscore) the
# entrypoint exports NAME with the file's content, so compose secrets (/run/secrets/...) never
# appear in the compose file or in `docker inspect`.

ARG PYTHON_VERSION=3.11
ARG UV_VERSION=0.13.9

FROM ghcr.io/astral-sh/uv:${UV_VERSION} AS uv

# ---------------------------------------------------------------------------------------------
# The SPA: a Vite app (gateway/spa/package.json) is built with its locked dependencies into
# dist/; plain static files (no package.json) are served as they are.
FROM node:22-bookworm-slim AS spa
WORKDIR /spa
COPY gateway/spa/ ./
RUN set -eu; \
    if [ -f package.json ]; then \
      npm ci --no-audit --no-fund; \
      npm run build; \
    else \
      mkdir -p /tmp/dist && cp -a . /tmp/dist/ && mv /tmp/dist ./dist; \
    fi; \
    test -f dist/index.html

# ---------------------------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ARG SERVICE
ARG PACKAGE=camwatch-${SERVICE}
RUN case "${SERVICE}" in \
      access|registry|incidents|risk|evidence|gateway|simulator|backup) ;; \
      *) echo "build with --build-arg SERVICE=access|registry|incidents|risk|evidence|gateway|simulator|backup" >&2; \
         exit 1 ;; \
    esac
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app

# Third-party dependencies first (cached while only our code changes). The workspace needs
# every member's pyproject.toml to read the lock, not their sources.
COPY pyproject.toml uv.lock ./
COPY servicekit/pyproject.toml servicekit/
# devkit (test fixtures, contracts export) is a dev-only member: its manifest, never its code.
COPY devkit/pyproject.toml devkit/
COPY gateway/pyproject.toml gateway/
COPY services/access/pyproject.toml services/access/
COPY services/registry/pyproject.toml services/registry/
COPY services/incidents/pyproject.toml services/incidents/
COPY services/risk/pyproject.toml services/risk/
COPY services/evidence/pyproject.toml services/evidence/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace --package "${PACKAGE}"

# Then our packages. They stay editable (source under /app) on purpose: each service finds its
# Alembic scripts beside its source (services/<s>/migrations) and the event schemas under
# /app/contracts, both located from the source tree.
COPY servicekit/ servicekit/
COPY gateway/ gateway/
COPY services/ services/
COPY contracts/ contracts/
COPY devkit/ devkit/
COPY --from=spa /spa/dist/ /spa-dist/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package "${PACKAGE}"

# Keep only what this deployable runs, byte-compiled in place (the runtime cannot write .pyc
# files; unchecked-hash .pyc files stay valid whatever the copied files' timestamps).
RUN set -eu; \
    case "${SERVICE}" in \
      gateway) src=gateway; rm -rf gateway/spa; mkdir -p gateway/spa; cp -a /spa-dist gateway/spa/dist ;; \
      simulator) src=devkit ;; \
      backup) src=servicekit ;; \
      *) src="services/${SERVICE}" ;; \
    esac; \
    rm -rf "${src}/tests" servicekit/tests; \
    code="servicekit/src ${src}/src"; \
    if [ -d "${src}/migrations" ]; then code="${code} ${src}/migrations"; fi; \
    /app/.venv/bin/python -m compileall -q --invalidation-mode unchecked-hash ${code}; \
    mkdir -p "/out/app/$(dirname "${src}")"; \
    cp -a .venv servicekit contracts /out/app/; \
    if [ "${src}" != servicekit ]; then cp -a "${src}" "/out/app/${src}"; fi

# Turns NAME__FILE=/path into NAME=<content of /path>, then runs the service's CLI.
COPY <<'EOF' /out/usr/local/bin/camwatch-entrypoint
#!/bin/sh
set -eu
for var in $(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)__FILE=.*$/\1/p'); do
    eval "path=\${${var}__FILE}"
    if [ ! -r "${path}" ]; then
        echo "camwatch-entrypoint: ${var}__FILE=${path} is not a readable file" >&2
        exit 1
    fi
    value="$(cat "${path}")"
    export "${var}=${value}"
    unset "${var}__FILE"
done
exec python -m "${CAMWATCH_SERVICE}" "$@"
EOF
RUN chmod 0755 /out/usr/local/bin/camwatch-entrypoint

# ---------------------------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
ARG SERVICE
ARG MODULE=${SERVICE}
LABEL org.opencontainers.image.title="camwatch-${SERVICE}" \
      org.opencontainers.image.description="camwatch ${SERVICE}: customs camera supervision of EPEs"
# The backup job dumps PostgreSQL 16 databases: pg_dump must be at least the server's version
# (Debian bookworm's own client is 15), so it comes from the PostgreSQL project's repository,
# whose signing key ships in Debian's postgresql-common. /backups and /backup-keys belong to
# the service user, so the named volumes compose mounts there start writable for it.
RUN if [ "${SERVICE}" = backup ]; then \
      set -eu; \
      apt-get update; \
      apt-get install -y --no-install-recommends ca-certificates postgresql-common; \
      /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y; \
      apt-get install -y --no-install-recommends postgresql-client-16; \
      rm -rf /var/lib/apt/lists/*; \
      install -d -o 10001 -g 10001 -m 0750 /backups /backup-keys; \
    fi
RUN groupadd --system --gid 10001 camwatch \
    && useradd --system --uid 10001 --gid camwatch --home-dir /tmp --no-create-home \
       --shell /usr/sbin/nologin camwatch \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/camwatch
# /var/lib/camwatch: where a named volume mounts writable for the service user (a new volume
# takes the ownership of the image's folder), e.g. the demo's seeded accounts.
# Owned by root and not writable by the service user: the code cannot be changed at run time.
COPY --from=build /out/ /
WORKDIR /app
ENV CAMWATCH_SERVICE=${MODULE} \
    PATH=/app/.venv/bin:${PATH} \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    TMPDIR=/tmp
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/camwatch-entrypoint"]
CMD ["serve"]
