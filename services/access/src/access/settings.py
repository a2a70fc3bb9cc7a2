"""Typed settings of the access service (environment variables prefixed ACCESS_)."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from servicekit.netpolicy import (
    DEFAULT_ALLOWED_NETWORKS,
    DEFAULT_ALLOWED_PORTS,
    DEFAULT_DENIED_NETWORKS,
    ProbePolicy,
    parse_networks,
    without_loopback,
)
from servicekit.settings import (
    Environment,
    ObjectStoreSettings,
    ServiceSettings,
    project_root,
)
from servicekit.workdays import WORKING_HOURS_END, WORKING_HOURS_START


def default_master_key_file() -> Path:
    """The dev keyring file under var/keys/ (created on first use)."""
    return project_root() / "var" / "keys" / "access-master-keys.json"


def _env(name: str) -> AliasChoices:
    """Read ACCESS_<NAME> first, then the stack-wide <NAME> (e.g. S3_ENDPOINT)."""
    return AliasChoices(f"access_{name}", name)


class Settings(ServiceSettings, ObjectStoreSettings):
    """Access settings: token lifetimes, sign-in policy, vault and keyring locations."""

    model_config = SettingsConfigDict(env_prefix="ACCESS_", extra="ignore", populate_by_name=True)

    service_name: str = "access"
    port: int = 8101

    # Tokens
    access_token_ttl: int = Field(default=300, ge=30, le=3600, description="seconds")
    refresh_token_ttl: int = Field(default=8 * 3600, ge=60, description="seconds (one shift)")
    authorization_code_ttl: int = Field(default=60, ge=10, le=600)
    signing_key_prepublish: int = Field(
        default=60,
        ge=0,
        description="seconds a rotated signing key is published before it signs tokens",
    )
    spa_client_id: str = "camwatch-spa"
    spa_redirect_uris: list[str] = Field(
        default_factory=lambda: [
            "http://127.0.0.1:8000/callback",
            "http://localhost:8000/callback",
        ]
    )

    # Command-line tools sign in with the device authorization grant (RFC 8628).
    cli_client_id: str = "camwatch-cli"
    device_verification_uri: str | None = Field(
        default=None,
        description=(
            "the SPA page where a person approves a command-line sign-in (default: `/device` "
            "where the gateway serves the SPA, the issuer without its `/api/access`)"
        ),
    )
    device_code_ttl: int = Field(default=600, ge=60, le=1800, description="seconds")
    device_code_interval: int = Field(
        default=5, ge=1, le=60, description="seconds a tool waits between two polls"
    )
    device_code_attempts: int = Field(
        default=5, ge=1, description="wrong user codes a person may enter before a pause"
    )
    device_code_lockout_seconds: int = Field(default=900, ge=1)

    # Officers' sign-in
    signin_transaction_ttl: int = Field(default=300, ge=30, le=1800)
    signin_totp_attempts: int = Field(default=5, ge=1)
    lockout_threshold: int = Field(default=5, ge=1, description="failures before lockout")
    lockout_base_seconds: int = Field(default=30, ge=1)
    lockout_max_seconds: int = Field(default=3600, ge=1)
    enrollment_ttl: int = Field(default=72 * 3600, ge=60)
    totp_issuer: str = "camwatch"
    password_min_length: int = Field(default=12, ge=8)
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_cost: int = Field(default=65536, ge=8, description="KiB")
    argon2_parallelism: int = Field(default=2, ge=1)

    # Vault
    master_key_file: Path = Field(default_factory=default_master_key_file)
    master_keys: SecretStr | None = Field(
        default=None,
        description="keyring JSON given in the environment instead of a file (read-only)",
    )
    vault_max_versions: int = Field(default=5, ge=1, le=100)
    step_up_window: int = Field(default=300, ge=30, le=3600)
    reveal_handle_ttl: int = Field(default=60, ge=5, le=600)
    purge_interval: float = Field(
        default=600, gt=0, description="seconds between purges of expired token rows"
    )

    # Audit chain: keyed with the stack's audit_hmac_key; its head anchored hourly in S3.
    audit_anchor_bucket: str = "camwatch-audit-anchors"
    audit_anchor_enabled: bool = True
    audit_anchor_interval: float = Field(
        default=3600, gt=0, le=3600, description="seconds between anchors (at most an hour)"
    )
    audit_anchor_tick: float = Field(default=60, gt=0, description="how often the timer is read")
    # The daily log digest (seed 2 §3): yesterday's counts and checks, made once a day.
    log_digest_enabled: bool = True
    log_digest_minute_of_day: int = Field(
        default=30, ge=0, lt=1440, description="when it runs: minutes after midnight in Vietnam"
    )
    log_digest_tick: float = Field(default=60, gt=0, description="how often the timer is read")
    log_digest_max_signin_failures: int = Field(
        default=50, ge=0, description="more failed sign-ins in a day is an anomaly"
    )
    log_digest_max_lockouts: int = Field(
        default=5, ge=0, description="more lockouts in a day is an anomaly"
    )
    log_digest_max_server_errors: int = Field(
        default=0,
        ge=0,
        description="more 5xx answers on one route in a day is an anomaly (0: any 5xx)",
    )

    audit_anchor_retention_days: int = Field(
        default=3650, ge=1, description="Object Lock COMPLIANCE retention of each anchor"
    )

    # Camera views: customs' server signs in to an EPE's camera with the vault account.
    camera_view_timeout: float = Field(
        default=5.0, gt=0, le=60, description="seconds to connect, and between two frames"
    )
    camera_view_max_fps: float = Field(
        default=2.0, gt=0, le=25, description="frames a second a viewer receives at most"
    )
    camera_view_max_frame_bytes: int = Field(default=1_048_576, ge=16_384, le=16_777_216)
    camera_view_idle_seconds: float = Field(
        default=15.0, gt=0, description="an upstream nobody watched this long is closed"
    )
    camera_view_max_feeds: int = Field(
        default=200, ge=1, description="camera connections one replica holds at most"
    )
    camera_view_max_live_seconds: float = Field(
        default=1800.0, gt=0, description="a live view ends after this; the officer reopens it"
    )
    camera_view_allowed_networks: list[str] = Field(
        default_factory=lambda: list(DEFAULT_ALLOWED_NETWORKS),
        description="CIDRs cameras may be viewed in (the registry's probe policy)",
    )
    camera_view_denied_networks: list[str] = Field(
        default_factory=lambda: list(DEFAULT_DENIED_NETWORKS)
    )
    camera_view_allowed_ports: list[int] = Field(
        default_factory=lambda: list(DEFAULT_ALLOWED_PORTS)
    )
    camera_view_allow_loopback: bool = Field(
        default=False, description="development only: the simulated cameras listen on loopback"
    )
    working_hours_start: time = WORKING_HOURS_START
    working_hours_end: time = WORKING_HOURS_END

    def camera_policy(self) -> ProbePolicy:
        """The camera network policy (the registry prober's, from these settings)."""
        denied = parse_networks(self.camera_view_denied_networks)
        if self.camera_view_allow_loopback:
            denied = without_loopback(denied)
        return ProbePolicy.build(
            allowed=self.camera_view_allowed_networks,
            denied=denied,
            ports=self.camera_view_allowed_ports,
        )

    @property
    def jwks_path(self) -> str:
        return "/.well-known/jwks.json"

    @property
    def verification_uri(self) -> str:
        """The SPA's `/device` page, which command-line tools show people (RFC 8628)."""
        if self.device_verification_uri:
            return self.device_verification_uri
        return self.oidc_issuer.rstrip("/").removesuffix("/api/access") + "/device"

    def endpoint(self, path: str) -> str:
        """An absolute URL of this service as clients see it (under the issuer)."""
        return self.oidc_issuer.rstrip("/") + path

    @model_validator(mode="after")
    def _production_rules(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            if not self.oidc_issuer.startswith("https://"):
                raise ValueError("oidc_issuer must be an https URL in production")
            if self.argon2_memory_cost < 19456:
                raise ValueError("argon2_memory_cost must be at least 19456 KiB in production")
            if not self.audit_anchor_enabled:
                raise ValueError("audit_anchor_enabled must be true in production")
            if self.camera_view_allow_loopback:
                raise ValueError("camera_view_allow_loopback must be false in production")
        return self
