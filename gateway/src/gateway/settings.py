"""The gateway's typed settings (env prefix `GATEWAY_`, e.g. `GATEWAY_UPSTREAM_REGISTRY`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from limits import parse_many
from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from servicekit.services import SERVICE_PORTS, SERVICES
from servicekit.settings import ServiceSettings, project_root

# Where the gateway serves Swagger UI's and ReDoc's files (from the `fastapi-offline` package).
DOCS_ASSETS_URL = "/docs/assets"

DEFAULT_PUBLIC_PATHS = [
    # OIDC discovery, keys, and the OAuth / sign-in endpoints of the access service.
    "/api/access/.well-known/openid-configuration",
    "/api/access/.well-known/jwks.json",
    "/api/access/oauth/**",
    "/api/access/signin**",
    # Evidence share links: the link's own token is the credential of another authority.
    "/api/evidence/shared/*",
    "/api/evidence/shared/*/files/*",
    # Every service's API description and documentation pages.
    "/api/*/openapi.json",
    "/api/*/docs",
    "/api/*/docs/**",
    "/api/*/redoc",
]

SECRET_PATH_PREFIXES = ("/api/evidence/shared/",)
"""Paths whose next segment is a credential (a share link's token): traces show `{token}`."""

DEFAULT_CREDENTIAL_PATHS = [
    # Where credentials are tried: failed attempts are limited per client id / account.
    "/api/access/oauth/token",
    "/api/access/oauth/introspect",
    "/api/access/oauth/revoke",
    "/api/access/signin**",
]


class GatewaySettings(ServiceSettings):
    """Where the services are, who may pass without a token, and how hard clients may push."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", env_file=None, extra="ignore")

    service_name: str = "gateway"
    port: int = 8000
    workers: int = Field(default=1, ge=1, description="uvicorn worker processes")
    gc_tuned: bool = Field(
        default=True,
        description=(
            "freeze the start-up heap (gc.freeze) and raise the GC thresholds once serving; "
            "turn off when the gateway is embedded in another process"
        ),
    )

    trusted_proxies: list[str] = Field(
        default_factory=list,
        description=(
            "addresses of load balancers in front of the gateway whose X-Forwarded-For is "
            "believed (uvicorn forwarded_allow_ips); empty: the TCP peer is the client"
        ),
    )

    upstream_access: str = f"http://127.0.0.1:{SERVICE_PORTS['access']}"
    upstream_registry: str = f"http://127.0.0.1:{SERVICE_PORTS['registry']}"
    upstream_incidents: str = f"http://127.0.0.1:{SERVICE_PORTS['incidents']}"
    upstream_risk: str = f"http://127.0.0.1:{SERVICE_PORTS['risk']}"
    upstream_evidence: str = f"http://127.0.0.1:{SERVICE_PORTS['evidence']}"

    upstream_connect_timeout: float = Field(
        default=5.0, gt=0, description="seconds to open a connection to a service (then 504)"
    )
    upstream_read_timeout: float = Field(
        default=60.0,
        gt=0,
        description="seconds a service may stay silent (headers or between body chunks; then 504)",
    )
    upstream_pool_size: int = Field(
        default=512, ge=1, description="kept-alive connections to all services together"
    )
    upstream_keepalive: float = Field(
        default=4.0,
        gt=0,
        description=(
            "seconds an idle upstream connection is kept; below the services' own keep-alive "
            "(uvicorn: 5 s) so the gateway never reuses a connection the service is closing"
        ),
    )
    readiness_timeout: float = Field(
        default=2.0, gt=0, description="seconds each service has to answer /readyz"
    )

    public_paths: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PUBLIC_PATHS),
        description=(
            "API paths that pass without an access token; `*` matches within one path "
            "segment, `**` matches anything (JSON list in the environment)"
        ),
    )
    token_cache_size: int = Field(
        default=10_000, ge=0, description="verified tokens kept until their exp (LRU bound)"
    )

    rate_limit_enabled: bool = True
    rate_limit_authenticated: str = Field(
        default="50/second;2000/minute",
        description="limits per token subject, in `limits` notation (`;`-separated)",
    )
    rate_limit_anonymous: str = Field(
        default="10/second;120/minute",
        description="limits per remote IP for requests without a valid token",
    )
    credential_paths: list[str] = Field(
        default_factory=lambda: list(DEFAULT_CREDENTIAL_PATHS),
        description=(
            "paths where credentials are tried (patterns as in public_paths): anonymous "
            "requests there count against rate_limit_failed_attempts per client id / account "
            "and rate_limit_credential_address per address, not rate_limit_anonymous"
        ),
    )
    rate_limit_failed_attempts: str = Field(
        default="10/minute;100/hour",
        description=(
            "refused attempts (400/401) per client id or account (Basic user, form client_id, "
            "JSON username or sign-in transaction) on the credential paths"
        ),
    )
    rate_limit_credential_address: str = Field(
        default="30/second;1200/minute",
        description="every request per remote IP on the credential paths (a flood ceiling)",
    )
    rate_limit_store: Literal["memory", "nats"] = Field(
        default="memory",
        description=(
            "where the buckets live: `memory` counts per gateway process, `nats` shares them "
            "between every replica in a JetStream key-value bucket at nats_url"
        ),
    )
    rate_limit_bucket: str = Field(
        default="camwatch-gateway-ratelimit",
        pattern=r"^[A-Za-z0-9_-]+$",
        description="the key-value bucket of the shared rate limits",
    )
    rate_limit_store_timeout: float = Field(
        default=0.5,
        gt=0,
        description=(
            "seconds a shared-store operation may take; past it the replica counts in its own "
            "memory until NATS answers again"
        ),
    )

    live_enabled: bool = Field(
        default=True,
        description=(
            "follow NATS at nats_url: the live channel `/api/live`, revoked tokens refused at "
            "the edge and the maintenance notices of the vendor header; off, `/api/live` is a "
            "503 and revocations are left to the services"
        ),
    )
    live_heartbeat: float = Field(
        default=15.0, gt=0, description="seconds between heartbeat comments on /api/live"
    )
    live_queue_size: int = Field(
        default=256,
        ge=1,
        description=(
            "events waiting for one slow /api/live client; past it the connection is closed "
            "(the client resumes with Last-Event-ID)"
        ),
    )
    live_replay_size: int = Field(
        default=2048, ge=0, description="recent events kept for Last-Event-ID resumption"
    )
    live_notice_window: float = Field(
        default=30 * 86400.0,
        gt=0,
        description=(
            "seconds of access.maintenance.* replayed at start-up to know the current notices "
            "(the access stream keeps 30 days)"
        ),
    )

    server_errors_enabled: bool = Field(
        default=True,
        description=(
            "count the 5xx answers per route and publish them each window as "
            "`gateway.server_errors.counted.v1` (on the live channel's NATS connection: "
            "with live_enabled off they are counted but not published)"
        ),
    )
    server_errors_flush_seconds: float = Field(
        default=60, gt=0, description="the window of the 5xx counts: published this often"
    )
    openapi_contracts_dir: Path = Field(
        default_factory=lambda: project_root() / "contracts" / "openapi",
        description="the committed OpenAPI documents the 5xx are matched to routes with",
    )
    spa_dir: Path | None = Field(
        default=None,
        description=(
            "the SPA's built files; default gateway/spa/dist (scripts/build_spa.sh, run by "
            "make bootstrap). The sources next to it are never served"
        ),
    )
    max_body_bytes: int = Field(
        default=64 * 1024 * 1024,
        gt=0,
        description=(
            "largest request body passed to a service (then 413): checked on Content-Length "
            "before the service is called, counted while a chunked body streams"
        ),
    )
    max_body_bytes_by_service: dict[str, int] = Field(
        default_factory=lambda: {"evidence": 64 * 1024**3},
        description=(
            "per-service limits instead of max_body_bytes; evidence takes video chunks (tus "
            "PATCH, streamed with flat memory) up to a whole file, so 64 GiB; its own routes "
            "keep their limits (1 MiB for JSON)"
        ),
    )
    openapi_max_bytes: int = Field(
        default=8 * 1024 * 1024, description="largest openapi.json the gateway rewrites"
    )

    @field_validator(
        "rate_limit_authenticated",
        "rate_limit_anonymous",
        "rate_limit_failed_attempts",
        "rate_limit_credential_address",
    )
    @classmethod
    def _parse_rates(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError(f"not a rate limit in `limits` notation: {value!r}") from exc
        return value

    @field_validator(
        "upstream_access",
        "upstream_registry",
        "upstream_incidents",
        "upstream_risk",
        "upstream_evidence",
    )
    @classmethod
    def _upstream_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("an upstream must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("public_paths", "credential_paths")
    @classmethod
    def _absolute_paths(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if not pattern.startswith("/"):
                raise ValueError(f"a public path must start with '/': {pattern!r}")
        return value

    @field_validator("max_body_bytes_by_service")
    @classmethod
    def _known_services(cls, value: dict[str, int]) -> dict[str, int]:
        for name, limit in value.items():
            if name not in SERVICES:
                raise ValueError(f"no service is named {name!r}; services: {', '.join(SERVICES)}")
            if limit <= 0:
                raise ValueError(f"the body limit of {name} must be positive")
        return value

    def max_body_for(self, service: str) -> int:
        """The largest request body the gateway passes to `service`."""
        return self.max_body_bytes_by_service.get(service, self.max_body_bytes)

    @property
    def upstreams(self) -> dict[str, str]:
        """Service name → base URL."""
        return {name: getattr(self, f"upstream_{name}") for name in SERVICES}

    @property
    def resolved_spa_dir(self) -> Path:
        """The directory whose files are served at `/`."""
        if self.spa_dir is not None:
            return self.spa_dir
        return project_root() / "gateway" / "spa" / "dist"
