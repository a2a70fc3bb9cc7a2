"""Typed settings shared by every service; the only place the environment is read."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from servicekit.services import SERVICE_PORTS
from servicekit.workdays import DEFAULT_SWAPS_FILE

PLACEHOLDER_SECRETS = frozenset({"", "changethis", "change-me", "dev", "secret"})


class Environment(StrEnum):
    """Where a process runs; placeholder secrets are refused outside development and test."""

    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


def project_root() -> Path:
    """The repository root, found from this file, so `var/` is the same for every process."""
    return Path(__file__).resolve().parents[3]


class CommonEnvSource(EnvSettingsSource):
    """Unprefixed variables (NATS_URL, DATABASE_URL...) for the fields every service shares.

    A service reads `REGISTRY_NATS_URL` first and falls back to `NATS_URL`, so one environment
    file can serve the whole stack while each service can still be set apart.
    """

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls, env_prefix="")

    def __call__(self) -> dict[str, Any]:
        common = ServiceSettings.model_fields.keys() | ObjectStoreSettings.model_fields.keys()
        fields = self.settings_cls.model_fields
        return {k: v for k, v in super().__call__().items() if k in common and k in fields}


class ObjectStoreSettings(BaseModel):
    """Where a service's object storage is (any S3 API); mixed into the settings of a service
    that keeps objects: `class Settings(ServiceSettings, ObjectStoreSettings)`.

    Read like the shared fields: `<S>_S3_ENDPOINT` first, then the stack-wide `S3_ENDPOINT`.
    """

    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: str = ""
    s3_secret_key: SecretStr = SecretStr("")
    s3_secure: bool = False
    s3_region: str | None = None


class ServiceSettings(BaseSettings):
    """Settings common to every service; each service subclasses it with its own prefix."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Prefixed variables win over the shared unprefixed ones."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if settings_cls.model_config.get("env_prefix"):
            sources.append(CommonEnvSource(settings_cls))
        return (*sources, dotenv_settings, file_secret_settings)

    service_name: str = "service"
    environment: Environment = Environment.DEVELOPMENT
    host: str = "127.0.0.1"
    port: int = 8100

    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means a SQLite file under var/data/<service>.db",
    )
    database_schema: str | None = Field(
        default=None, description="PostgreSQL schema owning this service's tables"
    )
    nats_url: str = "nats://127.0.0.1:4222"
    nats_stream_replicas: int = 1
    events_enabled: bool = True

    oidc_issuer: str = "http://127.0.0.1:8000/api/access"
    jwks_url: str = f"http://127.0.0.1:{SERVICE_PORTS['access']}/.well-known/jwks.json"
    token_audience: str = "camwatch"  # noqa: S105 - an audience name, not a secret
    token_revocation_window: int = Field(
        default=3600,
        ge=60,
        description=(
            "seconds of token revocations replayed at start-up: at least the longest "
            "access-token lifetime (access allows up to 3600)"
        ),
    )

    max_body_bytes: int = Field(
        default=1024 * 1024,
        gt=0,
        description="largest request body of a route without its own limit (ServiceSpec)",
    )

    otel_exporter_otlp_endpoint: str | None = None
    log_level: str = "INFO"
    log_json: bool = True

    audit_hmac_key: SecretStr = SecretStr("dev")

    swaps_file: Path = Field(
        default=DEFAULT_SWAPS_FILE,
        description="TOML file of the Government's announced day-off / make-up working-day "
        "swaps, one for the whole stack (`SWAPS_FILE`); re-read whenever it changes, so an "
        "operator updates it without a release",
    )

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to this service's SQLite file."""
        if self.database_url:
            return self.database_url
        data = project_root() / "var" / "data"
        data.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{data / f'{self.service_name}.db'}"

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            for name, value in self._secret_fields():
                if value.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
                    raise ValueError(f"{name} must be set to a real secret in production")
        return self

    def _secret_fields(self) -> list[tuple[str, SecretStr]]:
        return [
            (name, value)
            for name in type(self).model_fields
            if isinstance(value := getattr(self, name), SecretStr)
        ]
